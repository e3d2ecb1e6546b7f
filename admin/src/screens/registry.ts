/**
 * THE list of admin screens. The shell builds the navigation (desktop sidebar, phone tab bar
 * and menu sheet) and the routes from it; nothing else needs to change to add a screen.
 *
 * To plug in a real screen (e.g. Friends):
 *   1. write `src/screens/friends/FriendsScreen.tsx` with `export default function FriendsScreen()`;
 *      use `useApp()` for `api`/`session`, `<PageHeader>`, `<ErrorNotice>` and `useForm()`.
 *   2. here, replace `comingSoonScreen(...)` by `lazyScreen(() => import("./friends/FriendsScreen"))`.
 *   3. add its text to `src/i18n.ts` (ja and en).
 * Sub-pages (e.g. #/friends/sub_123) reach the same screen: a route matches the longest
 * registered path prefix; read the rest with `useRoute()`.
 */
import type { ComponentType } from "preact";
import type { Role } from "../auth";
import type { IconName } from "../components/Icon";
import { lazyScreen } from "../components/LazyScreen";
import type { DictKey } from "../i18n";

export interface ScreenDef {
  /** Hash path, e.g. "/friends" (#/friends). */
  path: string;
  titleKey: DictKey;
  /** Shorter label for the phone tab bar (defaults to titleKey). */
  tabKey?: DictKey;
  /** One line shown under the title in link lists (e.g. the settings hub). */
  descKey?: DictKey;
  icon: IconName;
  /** "primary": sidebar + phone tab bar; "more": sidebar + phone menu sheet; "none": not in the nav. */
  nav: "primary" | "more" | "none";
  /** Listed under this screen (e.g. "/settings") and highlights it in the nav. */
  parent?: string;
  /** Who may open it; all roles when absent. */
  roles?: readonly Role[];
  component: ComponentType;
}

export const SCREENS: readonly ScreenDef[] = [
  { path: "/dashboard", titleKey: "nav.dashboard", tabKey: "nav.home", icon: "dashboard", nav: "primary", component: lazyScreen(() => import("./dashboard/DashboardScreen")) },
  {
    path: "/friends",
    titleKey: "nav.friends",
    icon: "friends",
    nav: "primary",
    component: lazyScreen(() => import("./friends/FriendsScreen")),
  },
  {
    path: "/scenarios",
    titleKey: "nav.scenarios",
    icon: "scenarios",
    nav: "primary",
    component: lazyScreen(() => import("./scenarios/ScenariosScreen")),
  },
  {
    path: "/broadcasts",
    titleKey: "nav.broadcasts",
    icon: "broadcasts",
    nav: "primary",
    component: lazyScreen(() => import("./broadcasts/BroadcastsScreen")),
  },
  { path: "/segments", titleKey: "nav.segments", icon: "friends", nav: "more", component: lazyScreen(() => import("./segments/SegmentsScreen")) },
  { path: "/id-lists", titleKey: "nav.idLists", icon: "forms", nav: "more", component: lazyScreen(() => import("./idlists/IdListsScreen")) },
  { path: "/seminars", titleKey: "nav.seminars", icon: "forms", nav: "more", component: lazyScreen(() => import("./seminars/SeminarsScreen")) },
  { path: "/courses", titleKey: "nav.courses", icon: "commerce", nav: "more", component: lazyScreen(() => import("./courses/CoursesScreen")) },
  { path: "/funnels", titleKey: "nav.funnels", icon: "forms", nav: "more", component: lazyScreen(() => import("./funnels/FunnelsScreen")) },
  { path: "/files", titleKey: "nav.files", icon: "forms", nav: "more", component: lazyScreen(() => import("./files/FilesScreen")) },
  { path: "/links", titleKey: "nav.links", icon: "channels", nav: "more", component: lazyScreen(() => import("./links/LinksScreen")) },
  { path: "/inflow-routes", titleKey: "nav.inflowRoutes", icon: "channels", nav: "more", component: lazyScreen(() => import("./routes/RoutesScreen")) },
  { path: "/partners", titleKey: "nav.partners", icon: "friends", nav: "more", component: lazyScreen(() => import("./partners/PartnersScreen")) },
  { path: "/coupons", titleKey: "nav.coupons", icon: "commerce", nav: "more", component: lazyScreen(() => import("./coupons/CouponsScreen")) },
  { path: "/conversions", titleKey: "nav.conversions", icon: "dashboard", nav: "more", component: lazyScreen(() => import("./conversions/ConversionsScreen")) },
  { path: "/analysis/cross", titleKey: "nav.crossAnalysis", icon: "dashboard", nav: "more", component: lazyScreen(() => import("./analysis/CrossAnalysisScreen")) },
  {
    path: "/auto-replies",
    titleKey: "nav.autoReplies",
    icon: "autoReplies",
    nav: "more",
    component: lazyScreen(() => import("./autoreplies/AutoRepliesScreen")),
  },
  { path: "/rich-menus", titleKey: "nav.richMenus", icon: "menu", nav: "more", component: lazyScreen(() => import("./richmenus/RichMenusScreen")) },
  { path: "/bookings", titleKey: "nav.bookings", icon: "forms", nav: "more", component: lazyScreen(() => import("./bookings/BookingsScreen")) },
  {
    path: "/forms",
    titleKey: "nav.forms",
    icon: "forms",
    nav: "more",
    component: lazyScreen(() => import("./forms/FormsScreen")),
  },
  {
    path: "/tags",
    titleKey: "nav.tags",
    icon: "friends",
    nav: "more",
    component: lazyScreen(() => import("./tags/TagsScreen")),
  },
  {
    path: "/commerce",
    titleKey: "nav.commerce",
    icon: "commerce",
    nav: "more",
    component: lazyScreen(() => import("./commerce/CommerceScreen")),
  },
  {
    path: "/deliveries",
    titleKey: "nav.deliveryErrors",
    icon: "clock",
    nav: "more",
    component: lazyScreen(() => import("./deliveries/DeliveryErrorsScreen")),
  },
  {
    path: "/settings",
    titleKey: "nav.settings",
    icon: "settings",
    nav: "more",
    component: lazyScreen(() => import("./settings/SettingsScreen")),
  },
  {
    path: "/settings/channels",
    titleKey: "nav.channels",
    descKey: "settings.channels.desc",
    icon: "channels",
    nav: "none",
    parent: "/settings",
    roles: ["owner", "admin"],
    component: lazyScreen(() => import("./channels/ChannelsScreen")),
  },
  {
    path: "/settings/greeting",
    titleKey: "nav.greeting",
    descKey: "gr.lead",
    icon: "broadcasts",
    nav: "none",
    parent: "/settings",
    roles: ["owner", "admin"],
    component: lazyScreen(() => import("./greeting/GreetingScreen")),
  },
  {
    path: "/settings/operators",
    titleKey: "nav.operators",
    descKey: "settings.operators.desc",
    icon: "friends",
    nav: "none",
    parent: "/settings",
    roles: ["owner", "admin"],
    component: lazyScreen(() => import("./settings/OperatorsScreen")),
  },
  {
    path: "/settings/audit-log",
    titleKey: "nav.auditLog",
    descKey: "settings.auditLog.desc",
    icon: "clock",
    nav: "none",
    parent: "/settings",
    roles: ["owner"],
    component: lazyScreen(() => import("./settings/AuditLogScreen")),
  },
  {
    path: "/settings/fields",
    titleKey: "nav.fields",
    descKey: "settings.fields.desc",
    icon: "forms",
    nav: "none",
    parent: "/settings",
    component: lazyScreen(() => import("./fields/FieldsScreen")),
  },
  {
    path: "/settings/senders",
    titleKey: "nav.senders",
    descKey: "settings.senders.desc",
    icon: "broadcasts",
    nav: "none",
    parent: "/settings",
    component: lazyScreen(() => import("./settings/SendersScreen")),
  },
  {
    path: "/settings/stripe",
    titleKey: "nav.stripeKeys",
    descKey: "settings.stripeKeys.desc",
    icon: "commerce",
    nav: "none",
    parent: "/settings",
    roles: ["owner", "admin"],
    component: lazyScreen(() => import("./settings/StripeKeysScreen")),
  },
  {
    path: "/settings/webhooks",
    titleKey: "nav.webhooks",
    descKey: "settings.webhooks.desc",
    icon: "channels",
    nav: "none",
    parent: "/settings",
    roles: ["owner", "admin"],
    component: lazyScreen(() => import("./webhooks/WebhooksScreen")),
  },
];

export const DEFAULT_PATH = "/dashboard";

export function visibleTo(role: Role | undefined): (s: ScreenDef) => boolean {
  return (s) => !s.roles || (role !== undefined && s.roles.includes(role));
}

/** The screen for a path: exact match, else the longest registered prefix ("/friends/x" -> "/friends"). */
export function matchScreen(path: string, screens: readonly ScreenDef[] = SCREENS): ScreenDef | undefined {
  let best: ScreenDef | undefined;
  for (const s of screens) {
    if (path === s.path || path.startsWith(`${s.path}/`)) {
      if (!best || s.path.length > best.path.length) best = s;
    }
  }
  return best;
}

export function childScreens(parent: string, screens: readonly ScreenDef[] = SCREENS): ScreenDef[] {
  return screens.filter((s) => s.parent === parent);
}

/** The top-level nav entry a path belongs to (a child highlights its parent). */
export function navOwner(path: string, screens: readonly ScreenDef[] = SCREENS): string | undefined {
  const s = matchScreen(path, screens);
  return s?.parent ?? s?.path;
}
