/**
 * Text of the upload control (画像・添付ファイルのアップロード) used by the funnel builder's image block and the course
 * editor's attachments. Japanese defines the keys; merged into the one dictionary by src/i18n.ts.
 */
export const ja = {
  "asset.image.label": "画像をアップロード",
  "asset.image.hint": "PNG・JPEG・WebP・GIF、2 MB まで。アップロードした画像はページに表示され、誰でも見られます。",
  "asset.attachment.label": "ファイルをアップロード",
  "asset.attachment.hint": "PDF・Word・Excel・PowerPoint・ZIP・画像、4 MB まで。受講できる会員だけがダウンロードできます。",
  "asset.uploading": "アップロード中…",
  "asset.uploaded": "アップロード済み: {name}",
  "asset.remove": "画像を外す",
  "asset.tooLarge": "ファイルが大きすぎます ({size}、上限 {limit})",
  "asset.empty": "ファイルが空です",
} as const;

export const en: Partial<Record<keyof typeof ja, string>> = {
  "asset.image.label": "Upload an image",
  "asset.image.hint": "PNG, JPEG, WebP or GIF, up to 2 MB. An uploaded image is shown on the page: anyone can see it.",
  "asset.attachment.label": "Upload a file",
  "asset.attachment.hint": "PDF, Word, Excel, PowerPoint, ZIP or an image, up to 4 MB. Only members with access can download it.",
  "asset.uploading": "Uploading…",
  "asset.uploaded": "Uploaded: {name}",
  "asset.remove": "Remove the image",
  "asset.tooLarge": "The file is too large ({size}; the limit is {limit})",
  "asset.empty": "The file is empty",
};
