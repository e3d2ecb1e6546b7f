import type { ComponentType } from "preact";
import { ComingSoon } from "../components/ComingSoon";
import { PageHeader } from "../components/PageHeader";
import { type DictKey, t } from "../i18n";

/** A screen that has no backing API yet: its title, what it will do, and the 準備中 panel. */
export function comingSoonScreen(titleKey: DictKey, leadKey: DictKey): ComponentType {
  return function ComingSoonScreen() {
    return (
      <>
        <PageHeader title={t(titleKey)} lead={t(leadKey)} />
        <ComingSoon />
      </>
    );
  };
}
