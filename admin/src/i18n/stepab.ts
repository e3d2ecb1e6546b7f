/**
 * Text of the A/B test of a scenario step (the step editor's variants, the step's results and "adopt the winner").
 * The shared A/B words ("ab.*": variant, weight, results columns) are in i18n/routes.ts. Japanese defines the keys;
 * merged into the one dictionary by src/i18n.ts.
 */
export const ja = {
  "sab.lead": "このステップの内容がパターン A です。友だちは配分の比率でいずれか 1 つのパターンを受け取ります(同じ友だちにはいつも同じパターン)。",
  "sab.adopt": "パターン {label} を採用",
  "sab.adopt.q": "ステップの内容をパターン {label} にして、テストを終了しますか?",
  "sab.adopt.yes": "採用する",
  "sab.adopted": "このテストは終了しています。ステップには採用したパターンの内容が入っています。",
  "sab.unsaved": "結果は保存後に表示されます。",
};

export const en: Partial<Record<keyof typeof ja, string>> = {
  "sab.lead": "This step's content is variant A. Each friend gets one variant, in the ratio of the weights (always the same one for the same friend).",
  "sab.adopt": "Adopt variant {label}",
  "sab.adopt.q": "Make variant {label} the step's content and end the test?",
  "sab.adopt.yes": "Adopt",
  "sab.adopted": "This test has ended. The step now holds the adopted variant's content.",
  "sab.unsaved": "Results appear once the scenario is saved.",
};
