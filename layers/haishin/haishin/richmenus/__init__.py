"""Rich menus (リッチメニュー): drafts, images, publishing to LINE, tabs (aliases + ``richmenuswitch``), taps."""
