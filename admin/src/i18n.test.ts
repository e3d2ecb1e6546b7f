import { beforeEach, describe, expect, it } from "vitest";
import { getLang, initLang, missingKeys, onLangChange, setLang, t } from "./i18n";

describe("i18n", () => {
  beforeEach(() => {
    localStorage.clear();
    initLang();
  });

  it("speaks Japanese by default", () => {
    expect(getLang()).toBe("ja");
    expect(t("nav.dashboard")).toBe("ダッシュボード");
    expect(t("nav.broadcasts")).toBe("一斉配信");
  });

  it("switches to English, persists the choice and notifies listeners", () => {
    const seen: string[] = [];
    const off = onLangChange((l) => seen.push(l));
    setLang("en");
    off();
    expect(t("nav.dashboard")).toBe("Dashboard");
    expect(localStorage.getItem("haishin.lang")).toBe("en");
    expect(document.documentElement.lang).toBe("en");
    expect(seen).toEqual(["en"]);
    // a new page load reads the stored choice
    expect(initLang()).toBe("en");
  });

  it("falls back to Japanese for a key English lacks, never to an empty string", () => {
    setLang("en");
    const missing = missingKeys("en");
    expect(missing).toContain("lang.ja"); // language names stay in their own language
    for (const key of missing) expect(t(key)).not.toBe("");
    expect(t("lang.ja")).toBe("日本語");
  });

  it("ignores a garbage stored language", () => {
    localStorage.setItem("haishin.lang", "fr");
    expect(initLang()).toBe("ja");
  });
});
