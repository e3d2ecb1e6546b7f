/** Hash routing (#/friends): static hosting on S3/CloudFront or /admin/ needs no rewrites. */
import { useEffect, useState } from "preact/hooks";

export interface Route {
  /** "/friends", "/settings/channels"; "/" when the hash is empty. */
  path: string;
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#/, "");
  const [rawPath = "", rawQuery = ""] = h.split("?", 2);
  let path = rawPath.startsWith("/") ? rawPath : `/${rawPath}`;
  if (path.length > 1) path = path.replace(/\/+$/, "");
  return { path, query: new URLSearchParams(rawQuery) };
}

export function currentRoute(): Route {
  return parseHash(location.hash);
}

export function navigate(path: string, replace = false): void {
  const hash = `#${path.startsWith("/") ? path : `/${path}`}`;
  if (replace) {
    history.replaceState(null, "", hash);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    location.hash = hash;
  }
}

export function href(path: string): string {
  return `#${path}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(currentRoute);
  useEffect(() => {
    const on = () => setRoute(currentRoute());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}
