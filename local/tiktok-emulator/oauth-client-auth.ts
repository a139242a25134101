import type { EmulatorSettings } from './emulator-options.js';
import { oauthError, type Reply } from './replies.js';
import type { FormFields } from './request-body.js';

/** Credentials travel in the form body as client_key/client_secret; Basic auth is not part of TikTok's API. */
export function rejectUnknownClient(
  settings: EmulatorSettings,
  form: FormFields,
  logId: string,
): Reply | undefined {
  if (form.get('client_key') !== settings.clientKey) {
    return oauthError(401, 'invalid_client', 'Client key is invalid or does not exist.', logId);
  }
  if (form.get('client_secret') !== settings.clientSecret) {
    return oauthError(401, 'invalid_client', 'Client secret is incorrect.', logId);
  }
  return undefined;
}

/** Missing or repeated parameters (RFC 6749 §3.1) are invalid_request. */
export function rejectMalformedForm(form: FormFields, required: string[], logId: string): Reply | undefined {
  const repeated = form.repeated[0];
  if (repeated !== undefined)
    return oauthError(400, 'invalid_request', `Parameter ${repeated} is repeated.`, logId);
  const missing = required.find((name) => !form.get(name));
  if (missing !== undefined) {
    return oauthError(400, 'invalid_request', `Missing required parameter: ${missing}.`, logId);
  }
  return undefined;
}

export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

export function wrongContentType(logId: string): Reply {
  return oauthError(400, 'invalid_request', `Content-Type must be ${FORM_MEDIA_TYPE}.`, logId);
}
