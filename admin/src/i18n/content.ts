/**
 * Text of the content screens. Japanese defines the keys (required); English may be partial (falls back to Japanese).
 * Merged into the one dictionary by src/i18n.ts, so screens still call t(key).
 */
export const ja = {
} as const;

export const en: Partial<Record<keyof typeof ja, string>> = {
};
