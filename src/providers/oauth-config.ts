// A provider's `oauth` config section, apart from the device flow itself (oauth-device.ts), so the config
// schema does not load the flow: only a login or a token refresh does.
import { z } from 'zod';

/** How to reach the IdP. */
export const OAuthDeviceConfigSchema = z.strictObject({
  deviceAuthorizationUrl: z.url({ protocol: /^https?$/ }),
  tokenUrl: z.url({ protocol: /^https?$/ }),
  clientId: z.string().min(1).max(256),
  scope: z.string().max(1000).optional(),
  /** Send an S256 code challenge with the device request and the verifier with the token request. */
  pkce: z.boolean().default(false),
});
/** A validated IdP config. */
export type OAuthDeviceConfig = z.output<typeof OAuthDeviceConfigSchema>;
