/**
 * The one dictionary of visible text. Japanese is the product language; English is the
 * second language. Every string a user can see goes through `t(key)`.
 *
 * Adding text: add the key to `ja` (required, it defines the key set) and to `en`.
 * A key missing from `en` falls back to Japanese, then to the key itself, so a screen
 * never shows an empty label.
 */

import * as contentText from "./i18n/content";
import * as crmText from "./i18n/crm";
import * as webhooksText from "./i18n/webhooks";
import * as seminarsText from "./i18n/seminars";
import * as coursesText from "./i18n/courses";
import * as funnelsText from "./i18n/funnels";
import * as emailText from "./i18n/email";
import * as optoutText from "./i18n/optout";
import * as tagsText from "./i18n/tags";
import * as segsText from "./i18n/segs";
import * as opsText from "./i18n/ops";
import * as crmTasksText from "./i18n/crmTasks";
import * as routesText from "./i18n/routes";
import * as conversionsText from "./i18n/conversions";
import * as analysisText from "./i18n/analysis";
import * as statsText from "./i18n/stats";
import * as stepAbText from "./i18n/stepab";
import * as richMenusText from "./i18n/richmenus";
import * as bookingsText from "./i18n/bookings";
import * as liffText from "./i18n/liff";
import * as partnersText from "./i18n/partners";
import * as couponsText from "./i18n/coupons";
import * as assetsText from "./i18n/assets";

const coreJa = {
  "app.name": "Haishin",
  "app.tagline": "LINE マーケティング自動化",
  "app.loading": "読み込み中…",
  "app.skipToContent": "本文へスキップ",

  "nav.dashboard": "ダッシュボード",
  "nav.home": "ホーム",
  "nav.friends": "友だち",
  "nav.scenarios": "シナリオ",
  "nav.broadcasts": "一斉配信",
  "nav.autoReplies": "自動応答",
  "nav.forms": "フォーム",
  "nav.commerce": "商品・注文",
  "nav.settings": "設定",
  "nav.channels": "LINE チャネル接続",
  "nav.more": "メニュー",
  "nav.close": "閉じる",
  "nav.main": "メインメニュー",

  "header.workspace": "ワークスペース",
  "header.language": "言語",
  "header.logout": "ログアウト",
  "header.role": "権限",

  "role.owner": "オーナー",
  "role.admin": "管理者",
  "role.operator": "オペレーター",
  "role.viewer": "閲覧のみ",

  "lang.ja": "日本語",
  "lang.en": "English",

  "screen.dashboard.lead": "配信状況と友だちの増減をまとめて確認する画面です。",
  "screen.friends.lead": "友だち(読者)の一覧、タグ、友だち情報、個別チャット。",
  "screen.scenarios.lead": "シナリオ(ステップ配信)の作成と配信状況。",
  "screen.broadcasts.lead": "一斉配信・セグメント配信(絞り込み)と予約配信。",
  "screen.autoReplies.lead": "キーワードに反応する自動応答。",
  "screen.forms.lead": "回答フォーム・登録フォームの作成と回答の確認。",
  "screen.commerce.lead": "商品、注文、継続課金・分割払い、督促。",
  "screen.settings.lead": "ワークスペース、オペレーターと権限、外部サービスの接続。",
  "screen.channels.lead": "LINE 公式アカウント(Messaging API チャネル)を接続し、Webhook URL を LINE Developers コンソールに設定します。",

  "dashboard.start.title": "はじめに",
  "dashboard.start.body": "LINE 公式アカウントのチャネルを接続すると、友だちの登録やメッセージ配信を始められます。",
  "dashboard.start.cta": "LINE チャネルを接続する",

  "nav.forbidden": "この画面を開く権限がありません。",
  "settings.entries": "設定項目",
  "settings.channels.desc": "チャネル ID・チャネルシークレット・アクセストークンの登録と Webhook URL の確認",
  "settings.session": "ログイン中のアカウント",
  "settings.email": "メールアドレス",
  "settings.workspaceId": "ワークスペース ID",
  "settings.apiBase": "API の接続先",

  "comingSoon.title": "準備中",
  "comingSoon.body": "この画面は現在開発中です。API が用意され次第、ここに表示されます。",

  "notFound.title": "ページが見つかりません",
  "notFound.body": "URL を確認するか、ダッシュボードに戻ってください。",
  "notFound.back": "ダッシュボードへ戻る",

  "login.title": "ログイン",
  "login.devNotice": "開発用ログインです(ローカル環境専用)。パスワードは不要です。",
  "login.email": "メールアドレス",
  "login.workspaceId": "ワークスペース ID",
  "login.role": "権限",
  "login.submit": "ログイン",
  "login.submitting": "ログイン中…",
  "login.cognitoNotice": "ログインは Amazon Cognito のログイン画面で行います。ボタンを押すと移動し、認証後にこの画面へ戻ります。",
  "login.cognitoSubmit": "Cognito でログイン",
  "login.cognitoFinishing": "ログイン処理中…",
  "login.sessionExpired": "ログインの有効期限が切れました。もう一度ログインしてください。入力中の内容は保持されています。",
  "login.emailRequired": "メールアドレスを入力してください。",
  "login.workspaceRequired": "ワークスペース ID を入力してください。",

  "error.title.default": "エラーが発生しました",
  "error.title.validation_failed": "入力内容に問題があります",
  "error.title.not_found": "見つかりません",
  "error.title.conflict": "ほかの変更と競合しました",
  "error.title.forbidden": "権限がありません",
  "error.title.unauthenticated": "ログインが必要です",
  "error.title.external_service_error": "外部サービスでエラーが発生しました",
  "error.title.network_error": "サーバーに接続できません",
  "error.title.server_error": "サーバーでエラーが発生しました",
  "error.title.config_error": "設定ファイルを読み込めません",
  "error.hint.default": "時間をおいてもう一度お試しください。解決しない場合は管理者に連絡してください。",
  "error.hint.validation_failed": "入力内容を確認して、もう一度お試しください。入力した内容は残っています。",
  "error.hint.not_found": "削除された可能性があります。一覧を再読み込みしてください。",
  "error.hint.conflict": "最新の内容を読み込み直してから、もう一度操作してください。",
  "error.hint.forbidden": "この操作には別の権限が必要です。ワークスペースのオーナーに依頼してください。",
  "error.hint.unauthenticated": "もう一度ログインしてください。入力中の内容は保持されます。",
  "error.hint.external_service_error": "LINE・Stripe などの外部サービスが一時的に応答していません。しばらくしてから再試行してください。",
  "error.hint.network_error": "API に接続できませんでした。ネットワーク接続、またはローカル環境が起動しているかを確認して再試行してください。",
  "error.hint.server_error": "しばらくしてから再試行してください。繰り返す場合は管理者に連絡してください。",
  "error.hint.config_error": "config.json の配置と内容(apiBase と authMode)を確認してください。",
  "error.where": "場所",
  "error.retry": "再試行",
  "error.dismiss": "閉じる",
  "error.status": "ステータス",
} as const;

// Area dictionaries live in src/i18n/<area>.ts so screens of different areas can add text independently.
const ja = { ...coreJa, ...crmText.ja, ...contentText.ja, ...webhooksText.ja, ...emailText.ja, ...optoutText.ja, ...tagsText.ja, ...segsText.ja, ...opsText.ja, ...crmTasksText.ja, ...routesText.ja, ...analysisText.ja, ...statsText.ja, ...stepAbText.ja, ...conversionsText.ja, ...richMenusText.ja, ...liffText.ja, ...partnersText.ja, ...couponsText.ja, ...bookingsText.ja, ...seminarsText.ja, ...coursesText.ja, ...funnelsText.ja, ...assetsText.ja } as const;

export type DictKey = keyof typeof ja;
export type Lang = "ja" | "en";
export const LANGS: readonly Lang[] = ["ja", "en"];

const coreEn: Partial<Record<DictKey, string>> = {
  "app.tagline": "LINE marketing automation",
  "app.loading": "Loading…",
  "app.skipToContent": "Skip to content",

  "nav.dashboard": "Dashboard",
  "nav.home": "Home",
  "nav.friends": "Friends",
  "nav.scenarios": "Scenarios",
  "nav.broadcasts": "Broadcasts",
  "nav.autoReplies": "Auto-replies",
  "nav.forms": "Forms",
  "nav.commerce": "Products & orders",
  "nav.settings": "Settings",
  "nav.channels": "LINE channel setup",
  "nav.more": "Menu",
  "nav.close": "Close",
  "nav.main": "Main menu",

  "header.workspace": "Workspace",
  "header.language": "Language",
  "header.logout": "Log out",
  "header.role": "Role",

  "role.owner": "Owner",
  "role.admin": "Admin",
  "role.operator": "Operator",
  "role.viewer": "Viewer",

  "screen.dashboard.lead": "Delivery status and friend growth at a glance.",
  "screen.friends.lead": "Friends (subscribers), tags, fields and 1:1 chat.",
  "screen.scenarios.lead": "Build scenarios (step delivery) and follow their progress.",
  "screen.broadcasts.lead": "Broadcasts, segmented deliveries and scheduled sends.",
  "screen.autoReplies.lead": "Keyword-triggered auto-replies.",
  "screen.forms.lead": "Build forms and review their answers.",
  "screen.commerce.lead": "Products, orders, subscriptions, installments and dunning.",
  "screen.settings.lead": "Workspace, operators and permissions, connected services.",
  "screen.channels.lead": "Connect a LINE Official Account (Messaging API channel) and paste its webhook URL into the LINE Developers console.",

  "dashboard.start.title": "Getting started",
  "dashboard.start.body": "Connect your LINE Official Account channel to start collecting friends and sending messages.",
  "dashboard.start.cta": "Connect a LINE channel",

  "nav.forbidden": "Your role cannot open this screen.",
  "settings.entries": "Sections",
  "settings.channels.desc": "Register the channel ID, channel secret and access token; see the webhook URL",
  "settings.session": "Signed-in account",
  "settings.email": "Email",
  "settings.workspaceId": "Workspace ID",
  "settings.apiBase": "API endpoint",

  "comingSoon.title": "Coming soon",
  "comingSoon.body": "This screen is being built. It will show real data here as soon as its API is ready.",

  "notFound.title": "Page not found",
  "notFound.body": "Check the URL or go back to the dashboard.",
  "notFound.back": "Back to the dashboard",

  "login.title": "Log in",
  "login.devNotice": "Development login (local system only). No password needed.",
  "login.email": "Email",
  "login.workspaceId": "Workspace ID",
  "login.role": "Role",
  "login.submit": "Log in",
  "login.submitting": "Logging in…",
  "login.cognitoNotice": "You sign in on the Amazon Cognito login page. The button takes you there and you come back here afterwards.",
  "login.cognitoSubmit": "Log in with Cognito",
  "login.cognitoFinishing": "Finishing login…",
  "login.sessionExpired": "Your session expired. Please log in again; what you were typing has been kept.",
  "login.emailRequired": "Enter an email address.",
  "login.workspaceRequired": "Enter a workspace ID.",

  "error.title.default": "Something went wrong",
  "error.title.validation_failed": "Some input needs fixing",
  "error.title.not_found": "Not found",
  "error.title.conflict": "This conflicts with another change",
  "error.title.forbidden": "You don't have permission",
  "error.title.unauthenticated": "Please log in",
  "error.title.external_service_error": "An external service failed",
  "error.title.network_error": "Can't reach the server",
  "error.title.server_error": "The server had an error",
  "error.title.config_error": "Can't load the configuration",
  "error.hint.default": "Try again in a moment. If it keeps happening, contact your administrator.",
  "error.hint.validation_failed": "Check your input and try again. What you typed is still here.",
  "error.hint.not_found": "It may have been deleted. Reload the list.",
  "error.hint.conflict": "Reload the latest version, then try again.",
  "error.hint.forbidden": "This needs a different role. Ask the workspace owner.",
  "error.hint.unauthenticated": "Log in again. What you were typing is kept.",
  "error.hint.external_service_error": "LINE, Stripe or another service is not answering right now. Retry shortly.",
  "error.hint.network_error": "The API could not be reached. Check your connection, or that the local system is running, then retry.",
  "error.hint.server_error": "Retry shortly. If it keeps happening, contact your administrator.",
  "error.hint.config_error": "Check that config.json is deployed and has apiBase and authMode.",
  "error.where": "Where",
  "error.retry": "Retry",
  "error.dismiss": "Dismiss",
  "error.status": "Status",
};

const en: Partial<Record<DictKey, string>> = { ...coreEn, ...crmText.en, ...contentText.en, ...webhooksText.en, ...emailText.en, ...optoutText.en, ...tagsText.en, ...segsText.en, ...opsText.en, ...crmTasksText.en, ...routesText.en, ...analysisText.en, ...statsText.en, ...stepAbText.en, ...conversionsText.en, ...richMenusText.en, ...liffText.en, ...partnersText.en, ...couponsText.en, ...bookingsText.en, ...seminarsText.en, ...coursesText.en, ...funnelsText.en, ...assetsText.en };
const DICTS: Record<Lang, Partial<Record<DictKey, string>>> = { ja, en };
const STORAGE_KEY = "haishin.lang";

function readStoredLang(): Lang {
  try {
    const v = globalThis.localStorage?.getItem(STORAGE_KEY);
    return v === "en" || v === "ja" ? v : "ja";
  } catch {
    return "ja";
  }
}

let current: Lang = readStoredLang();
const listeners = new Set<(lang: Lang) => void>();

export function getLang(): Lang {
  return current;
}

export function setLang(lang: Lang): void {
  if (lang === current) return;
  current = lang;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, lang);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  if (typeof document !== "undefined") document.documentElement.lang = lang;
  for (const fn of listeners) fn(lang);
}

export function onLangChange(fn: (lang: Lang) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Reload the language from storage (used by tests and at startup). */
export function initLang(): Lang {
  current = readStoredLang();
  if (typeof document !== "undefined") document.documentElement.lang = current;
  return current;
}

/**
 * Translate `key`. `{name}` placeholders are filled from `params`.
 * Falls back: current language -> Japanese -> the key itself.
 */
export function t(key: DictKey, params?: Record<string, string | number>): string {
  const text = DICTS[current][key] ?? ja[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** True when `key` is a known dictionary key (for keys built at run time, e.g. error codes). */
export function hasKey(key: string): key is DictKey {
  return key in ja;
}

/** Test hook: the English dictionary is partial on purpose; expose which keys fall back. */
export function missingKeys(lang: Lang): DictKey[] {
  return (Object.keys(ja) as DictKey[]).filter((k) => DICTS[lang][k] === undefined);
}
