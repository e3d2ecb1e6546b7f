/**
 * Text of 配信停止 (opt-out) across screens: the workspace's LINE keywords (settings), a friend's opt-out state
 * (friend detail), opt-outs per day (dashboard) and the broadcast composer's daily-cap toggle.
 * Japanese defines the keys (required); English may be partial (falls back to Japanese).
 * Merged into the one dictionary by src/i18n.ts, so screens still call t(key).
 */
export const ja = {
  // settings: LINE keywords
  "kw.title": "配信停止キーワード(LINE)",
  "kw.lead": "友だちが LINE でこの言葉を送ると、LINE での配信を停止・再開します。自動応答より優先されます。",
  "kw.stop": "配信停止キーワード",
  "kw.resume": "配信再開キーワード",
  "kw.hint": "1 行に 1 つ(最大 10 個)。全角・半角や前後の空白は区別しません。",
  "kw.saved": "保存しました",

  // friend detail: opt-out state
  "oo.title": "配信停止",
  "oo.scope.all": "すべて(全シナリオ解除)",
  "oo.scope.line": "LINE",
  "oo.scope.email": "メール",
  "oo.scope.sms": "SMS",
  "oo.state.stopped": "停止中",
  "oo.state.active": "配信中",
  "oo.changed": "{at}・{via}",
  "oo.never": "変更なし",
  "oo.stop": "停止する",
  "oo.resume": "再開する",
  "oo.confirmAll": "すべての配信を停止し、参加中のシナリオをすべて解除します。よろしいですか?",
  "oo.via.keyword": "LINE キーワード",
  "oo.via.link": "配信停止ページ",
  "oo.via.one_click": "メールのワンクリック配信停止",
  "oo.via.admin": "管理画面",
  "oo.via.other": "その他",

  // dashboard: opt-outs per day
  "dash.optouts": "配信停止の推移",
  "dash.optouts.stopped": "配信停止",
  "dash.optouts.resumed": "配信再開",
  "dash.kpi.optouts": "配信停止({n} 日間)",
  "dash.optouts.table": "日別の配信停止",
  "dash.optouts.date": "日付",

  // broadcast composer: daily cap
  "bc.respectDailyCap": "1日の配信上限を守る",
  "bc.respectDailyCap.hint": "オフにすると、1日の配信上限に達した友だちにも送ります(緊急のお知らせ用)。",
  "bc.skip.skipped_daily_cap": "1日の配信上限",
} as const;

export const en: Partial<Record<keyof typeof ja, string>> = {
  "kw.title": "Opt-out keywords (LINE)",
  "kw.lead": "When a friend sends one of these words on LINE, LINE messages stop or resume. They take precedence over auto-replies.",
  "kw.stop": "Stop keywords",
  "kw.resume": "Resume keywords",
  "kw.hint": "One per line (up to 10). Full/half width and surrounding spaces do not matter.",
  "kw.saved": "Saved",
  "oo.title": "Opt-out",
  "oo.scope.all": "Everything (leaves every scenario)",
  "oo.scope.line": "LINE",
  "oo.scope.email": "E-mail",
  "oo.scope.sms": "SMS",
  "oo.state.stopped": "Stopped",
  "oo.state.active": "Receiving",
  "oo.changed": "{at} · {via}",
  "oo.never": "Never changed",
  "oo.stop": "Stop",
  "oo.resume": "Resume",
  "oo.confirmAll": "Stop every message and leave every scenario this friend is in?",
  "oo.via.keyword": "LINE keyword",
  "oo.via.link": "Opt-out page",
  "oo.via.one_click": "E-mail one-click unsubscribe",
  "oo.via.admin": "Admin",
  "oo.via.other": "Other",
  "dash.optouts": "Opt-outs",
  "dash.optouts.stopped": "Opted out",
  "dash.optouts.resumed": "Resumed",
  "dash.kpi.optouts": "Opt-outs ({n} days)",
  "dash.optouts.table": "Opt-outs per day",
  "dash.optouts.date": "Date",
  "bc.respectDailyCap": "Respect the daily cap",
  "bc.respectDailyCap.hint": "Off: friends who reached the daily cap get this too (urgent notices).",
  "bc.skip.skipped_daily_cap": "Daily cap",
};
