"""Assets (画像・添付ファイル): files a workspace uploads once and uses in funnel image blocks and lesson attachments.

The bytes live in the assets bucket under ``<workspace_id>/<asset_id>``; the record (name, kind, type, size) in
WorkspaceTable. Images are public (served by the pages function at ``/a/<workspace_id>/<asset_id>``), attachments
only to members with access to the lesson that names them (``/m/<ws>/<course>/l/<lesson>/a/<asset_id>``).
"""
