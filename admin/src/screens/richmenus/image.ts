/** Reading a chosen menu image in the browser, and showing the stored one (GET /api/rich-menus/{id}/image). */
import { useEffect, useState } from "preact/hooks";
import { useApp } from "../../context";
import { requestBlob } from "../../download";
import { type SniffedImage, sniffImage } from "./model";

export interface ChosenImage {
  name: string;
  bytes: number;
  /** what the bytes are (null: neither PNG nor JPEG) */
  sniffed: SniffedImage | null;
  /** base64 of the bytes, as PUT /api/rich-menus/{id}/image wants them */
  base64: string;
  /** for the preview */
  dataUrl: string;
}

export async function bytesOf(blob: Blob): Promise<Uint8Array> {
  if (typeof blob.arrayBuffer === "function") return new Uint8Array(await blob.arrayBuffer());
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(new Uint8Array(r.result as ArrayBuffer));
    r.onerror = () => reject(r.error);
    r.readAsArrayBuffer(blob);
  });
}

export function toBase64(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

export async function readImageFile(file: File): Promise<ChosenImage> {
  const b = await bytesOf(file);
  const sniffed = sniffImage(b);
  const base64 = toBase64(b);
  return { name: file.name, bytes: b.length, sniffed, base64, dataUrl: `data:${sniffed?.content_type ?? (file.type || "application/octet-stream")};base64,${base64}` };
}

/** The stored image of menu `id` as a data URL (null while loading, without an image, or when it cannot be read). */
export function useStoredImage(id: string | null, hasImage: boolean, version?: unknown): string | null {
  const { api, session } = useApp();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    setUrl(null);
    if (!id || !hasImage) return;
    let live = true;
    requestBlob(api, session.token, "GET", `/api/rich-menus/${id}/image`)
      .then(async (blob) => {
        const b = await bytesOf(blob);
        const type = sniffImage(b)?.content_type ?? (blob.type || "image/png");
        if (live) setUrl(`data:${type};base64,${toBase64(b)}`);
      })
      .catch(() => undefined); // the preview shows the areas on a grey board instead
    return () => {
      live = false;
    };
  }, [id, hasImage, version]);
  return url;
}
