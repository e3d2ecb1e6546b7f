/**
 * Text of the LIFF card of the channel screen (the endpoint URL to register in the LINE Developers console, the LIFF
 * ID). Japanese defines the keys; merged into the one dictionary by src/i18n.ts.
 */
export const ja = {
  "lf.title": "LIFF アプリ",
  "lf.set": "設定済み",
  "lf.unset": "未設定",
  "lf.lead": "フォームやマイページを LINE の中で開き、LINE が友だちを確認します (URL に署名を付けずに済みます)。LINE ログインチャネルの「LIFF」タブでアプリを追加し、下のエンドポイント URL を登録して、発行された LIFF ID を入力してください。",
  "lf.needsLogin": "先に上の「LINE ログイン」でチャネル ID とシークレットを設定してください。LIFF アプリは LINE ログインチャネルに追加します。",
  "lf.endpoint": "エンドポイント URL (LIFF アプリに登録)",
  "lf.liffId": "LIFF ID",
  "lf.liffId.help": "例: 1234567890-AbCdEfGh (LINE ログインチャネルの ID - 英数字 8 文字)",
  "lf.urls": "LIFF で開く URL",
  "lf.url.me": "マイページ",
  "lf.url.form": "フォーム",
  "lf.save": "LIFF ID を保存",
  "lf.saved": "LIFF ID を保存しました。",
  "lf.remove": "LIFF ID を削除",
  "lf.remove.confirm": "LIFF ID を削除しますか?LIFF で開く URL (メッセージやリッチメニューに入れたもの) は使えなくなります。",
} as const;

export const en: Partial<Record<keyof typeof ja, string>> = {
  "lf.title": "LIFF app",
  "lf.set": "Set",
  "lf.unset": "Not set",
  "lf.lead": "Open forms and the friend's page inside LINE, with LINE identifying the friend (no signed URL needed). Add an app in the LINE Login channel's LIFF tab, register the endpoint URL below, then enter the LIFF ID it shows.",
  "lf.needsLogin": "Set the LINE Login channel (ID and secret) above first: LIFF apps are added to the LINE Login channel.",
  "lf.endpoint": "Endpoint URL (register it on the LIFF app)",
  "lf.liffId": "LIFF ID",
  "lf.liffId.help": "e.g. 1234567890-AbCdEfGh (the LINE Login channel ID - 8 letters or digits)",
  "lf.urls": "URLs that open in LIFF",
  "lf.url.me": "Friend's page",
  "lf.url.form": "Form",
  "lf.save": "Save the LIFF ID",
  "lf.saved": "The LIFF ID is saved.",
  "lf.remove": "Remove the LIFF ID",
  "lf.remove.confirm": "Remove the LIFF ID? LIFF URLs (in messages or rich menus) stop working.",
};
