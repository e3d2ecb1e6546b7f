/**
 * Uploading an image or an attachment to the workspace's assets (POST /api/assets: the file as base64 in JSON).
 * The size is checked here first (the same caps as the API); the API sniffs the type from the bytes, and its refusal
 * is shown at this field. Used by the funnel builder's image block and the course editor's attachments.
 */
import { useState } from "preact/hooks";
import { toApiError } from "../api";
import { useApp } from "../context";
import { t } from "../i18n";
import { bytesOf, toBase64 } from "../screens/richmenus/image";
import { FieldError } from "./Field";

export type AssetKind = "image" | "attachment";

export interface UploadedAsset {
  asset_id: string;
  kind: AssetKind;
  name: string;
  content_type: string;
  size: number;
  width: number | null;
  height: number | null;
  /** the public URL of an image (attachments have none: members download them from the lesson) */
  url: string | null;
}

/** The API's caps (haishin.assets.sniff.MAX_BYTES). */
export const ASSET_LIMITS: Record<AssetKind, number> = { image: 2 << 20, attachment: 4 << 20 };
const ACCEPT: Record<AssetKind, string> = {
  image: "image/png,image/jpeg,image/webp,image/gif",
  attachment: ".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.zip,image/png,image/jpeg,image/webp,image/gif",
};

/** A size for a person: KB below a megabyte, one decimal in MB (as the API's refusals say it). */
export function megabytes(size: number): string {
  return size >= 1 << 20 ? `${(size / (1 << 20)).toFixed(1)} MB` : `${Math.max(Math.floor(size / 1024), 1)} KB`;
}

/** Why a file of `size` bytes cannot be uploaded as `kind` (null: it may be). */
export function assetProblem(kind: AssetKind, size: number): string | null {
  if (size === 0) return t("asset.empty");
  if (size > ASSET_LIMITS[kind]) return t("asset.tooLarge", { size: megabytes(size), limit: megabytes(ASSET_LIMITS[kind]) });
  return null;
}

export function AssetUpload({ kind, name, testId, onUploaded }: { kind: AssetKind; name: string; testId?: string; onUploaded: (asset: UploadedAsset) => void }) {
  const { api } = useApp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const choose = async (file: File | undefined) => {
    if (!file) return;
    const problem = assetProblem(kind, file.size);
    setError(problem ?? undefined);
    if (problem) return;
    setBusy(true);
    try {
      const base64 = toBase64(await bytesOf(file));
      onUploaded(await api.post<UploadedAsset>("/api/assets", { kind, name: file.name, base64 }));
    } catch (e) {
      setError(toApiError(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <label class="field">
      <span class="field__label">{t(`asset.${kind}.label`)}</span>
      <input
        type="file"
        name={name}
        accept={ACCEPT[kind]}
        disabled={busy}
        aria-invalid={!!error}
        data-testid={testId}
        onChange={(e) => {
          const input = e.currentTarget;
          void choose(input.files?.[0]).then(() => (input.value = ""));
        }}
      />
      <span class="field__hint">{busy ? t("asset.uploading") : t(`asset.${kind}.hint`)}</span>
      <FieldError text={error} name={name} />
    </label>
  );
}
