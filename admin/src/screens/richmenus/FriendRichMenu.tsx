/**
 * The friend page's rich menu line: the menu the rules give this friend (GET /api/subscribers/{id}/rich-menu) and
 * why (rule n, the default, none), linked to its editor. Shows nothing when the answer cannot be read.
 */
import { useEffect, useState } from "preact/hooks";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { href } from "../../router";
import type { RichMenu } from "./model";

interface Current {
  menu_id: string | null;
  reason: string;
}

export function reasonText(reason: string): string {
  const rule = /^rule\s*(\d+)$/.exec(reason.trim());
  if (rule) return t("rm.friend.reason.rule", { n: rule[1]! });
  if (reason === "default") return t("rm.friend.reason.default");
  if (reason === "none") return t("rm.friend.reason.none");
  return reason;
}

export function FriendRichMenu({ id }: { id: string }) {
  const { api } = useApp();
  const [current, setCurrent] = useState<Current | null>(null);
  const [name, setName] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setCurrent(null);
    setName(null);
    api.get<Current>(`/api/subscribers/${id}/rich-menu`).then(
      (c) => {
        if (!live) return;
        setCurrent(c);
        if (c.menu_id)
          api.get<RichMenu>(`/api/rich-menus/${c.menu_id}`).then(
            (m) => live && setName(m.name),
            () => undefined,
          );
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [id]);
  if (!current) return null;
  return (
    <section class="card rm-friend-menu" data-testid="friend-rich-menu">
      <h2 class="card__title">{t("rm.friend.title")}</h2>
      {current.menu_id ? (
        <p>
          <a href={href(`/rich-menus/${current.menu_id}`)} data-testid="friend-rich-menu-link">
            {name ?? current.menu_id}
          </a>{" "}
          <span class="muted">({reasonText(current.reason)})</span>
        </p>
      ) : (
        <p class="muted">{t("rm.friend.none")}</p>
      )}
    </section>
  );
}
