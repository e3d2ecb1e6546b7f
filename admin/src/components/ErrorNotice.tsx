/**
 * Shows an error IN PLACE (where the failed action was): what went wrong (title + the API's
 * own message), where (ApiError.where), and what to do (a hint per error code).
 */
import { ApiError, toApiError } from "../api";
import { hasKey, t } from "../i18n";

export interface ErrorNoticeProps {
  error: unknown;
  onRetry?: () => void;
  onDismiss?: () => void;
}

function kind(err: ApiError): string {
  if (err.code && hasKey(`error.title.${err.code}`)) return err.code;
  if (err.status >= 500) return "server_error";
  return "default";
}

export function ErrorNotice({ error, onRetry, onDismiss }: ErrorNoticeProps) {
  if (!error) return null;
  const err = toApiError(error);
  const k = kind(err);
  const title = t(`error.title.${k}` as never);
  const hint = t(`error.hint.${k}` as never);
  return (
    <div class="notice notice--error" role="alert" data-error-code={err.code}>
      <div class="notice__body">
        <p class="notice__title">{title}</p>
        <p class="notice__message">{err.message}</p>
        {err.where && (
          <p class="notice__where">
            {t("error.where")}: <code>{err.where}</code>
          </p>
        )}
        <p class="notice__hint">{hint}</p>
      </div>
      {(onRetry || onDismiss) && (
        <div class="notice__actions">
          {onRetry && (
            <button type="button" class="btn btn--small" onClick={onRetry}>
              {t("error.retry")}
            </button>
          )}
          {onDismiss && (
            <button type="button" class="btn btn--small btn--ghost" onClick={onDismiss}>
              {t("error.dismiss")}
            </button>
          )}
        </div>
      )}
    </div>
  );
}
