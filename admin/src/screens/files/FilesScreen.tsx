/**
 * ファイル (file library): the workspace's uploads (funnel images, lesson attachments), newest first: a thumbnail for
 * an image (its public /a/<ws>/<asset> URL), name, kind, size, uploaded at. Upload from here (image or attachment,
 * the same control as the funnel builder and the course editor) and delete behind a confirm. The API refuses to
 * delete a file a funnel or a lesson still uses (409 naming the places): that refusal is shown above the list and
 * the file stays. Route: #/files.
 */
import { AssetUpload, megabytes, type UploadedAsset } from "../../components/AssetUpload";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListScreen, type ResourceKind, useApiList } from "../../components/ResourceScreen";
import { Table } from "../../components/Table";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { useAction } from "../../lib/useAction";
import { formatDateTime } from "../settings/ui";

export interface LibraryFile extends UploadedAsset {
  created_at: string;
}

const FILES: ResourceKind = { path: "/files", title: "nav.files", lead: "files.lead", newLabel: "files.upload", testId: "files" };

export default function FilesScreen() {
  const { api } = useApp();
  const list = useApiList<LibraryFile>("/api/assets");
  const removing = useAction();
  const remove = (f: LibraryFile) =>
    removing.run(async () => {
      await api.delete(`/api/assets/${f.asset_id}`);
      list.reload();
    });
  const uploaded = () => (removing.setError(null), list.reload());
  return (
    <ListScreen
      kind={FILES}
      list={list}
      creates={false}
      above={
        <section class="card form" data-testid="files-upload">
          <h2 class="card__title">{t("files.upload")}</h2>
          <AssetUpload kind="image" name="image" testId="files-upload-image" onUploaded={uploaded} />
          <AssetUpload kind="attachment" name="attachment" testId="files-upload-attachment" onUploaded={uploaded} />
        </section>
      }
      empty={t("files.empty")}
    >
      {(rows) => (
        <>
          <div data-testid="files-delete-error">
            <ErrorNotice error={removing.error} onDismiss={() => removing.setError(null)} />
          </div>
          <Table cards testId="files-list" columns={[t("files.col.preview"), t("files.col.name"), t("files.col.kind"), { label: t("files.col.size"), num: true }, t("files.col.at"), ""]}>
            {rows.map((f) => (
              <tr key={f.asset_id} data-testid="files-row" data-asset={f.asset_id}>
                <td data-label={t("files.col.preview")}>
                  {f.kind === "image" && f.url ? (
                    <img src={f.url} alt={f.name} width={64} height={64} loading="lazy" style={{ objectFit: "cover", borderRadius: "4px" }} data-testid="files-thumb" />
                  ) : (
                    <span class="muted">{t("files.noPreview")}</span>
                  )}
                </td>
                <td data-label={t("files.col.name")} style={{ overflowWrap: "anywhere" }} data-testid="files-name">
                  {f.name}
                </td>
                <td data-label={t("files.col.kind")}>{t(`files.kind.${f.kind}`)}</td>
                <td data-label={t("files.col.size")} class="num">
                  {megabytes(f.size)}
                </td>
                <td data-label={t("files.col.at")}>{formatDateTime(f.created_at)}</td>
                <td>
                  <ConfirmButton label={t("files.delete")} confirmLabel={t("files.delete")} question={t("files.delete.confirm", { name: f.name })} busy={removing.busy} onConfirm={() => void remove(f)} testId="files-delete" />
                </td>
              </tr>
            ))}
          </Table>
        </>
      )}
    </ListScreen>
  );
}
