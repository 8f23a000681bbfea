import { smtpAdapter } from './email.ts';
import type { MessagingSettings } from './policy.ts';
import { twilioAdapter } from './sms/twilio.ts';
import { webhookSmsAdapter } from './sms/webhook.ts';
import type { Channel, ChannelAdapter } from './types.ts';

/**
 * Which adapter carries a tenant's messages on a channel: SMTP for email when the server has one,
 * the tenant's SMS provider, the in-app inbox, or else the sandbox (kept, never delivered).
 */

/** Kept for the sandbox page; the outbox marks these 'sandboxed', never sent. */
export const sandboxAdapter: ChannelAdapter = {
  provider: 'sandbox',
  send: async () => ({ outcome: 'sent', providerMessageId: null, response: 'not delivered: no provider is configured' }),
};

/** In-app messages are delivered by being stored: the patient's pages show them. */
export const inAppAdapter: ChannelAdapter = {
  provider: 'in_app',
  send: async (message) => ({ outcome: 'delivered', providerMessageId: message.id }),
};

export type AdapterRegistry = {
  adapterFor(tenantId: string, channel: Channel, settings: MessagingSettings): ChannelAdapter;
  close(): Promise<void>;
};

/**
 * Adapters are built once per tenant and settings version and reused (the SMTP pool stays open).
 * `smtpUrl` is the server's outgoing mail relay; without one email goes to the sandbox.
 */
export function adapterRegistry(options: { smtpUrl?: string | undefined; clock?: () => Date }): AdapterRegistry {
  const smtp = options.smtpUrl ? smtpAdapter({ url: options.smtpUrl }) : null;
  const sms = new Map<string, { version: string; adapter: ChannelAdapter }>();
  return {
    adapterFor(tenantId, channel, settings) {
      if (channel === 'in_app') return inAppAdapter;
      if (channel === 'email') return smtp ?? sandboxAdapter;
      const version = `${settings.sms_provider}:${settings.updated_at?.getTime() ?? 0}`;
      const cached = sms.get(tenantId);
      if (cached?.version === version) return cached.adapter;
      const adapter = smsAdapterOf(settings, options.clock);
      sms.set(tenantId, { version, adapter });
      return adapter;
    },
    async close() {
      await smtp?.close?.();
    },
  };
}

function smsAdapterOf(settings: MessagingSettings, clock?: () => Date): ChannelAdapter {
  if (settings.sms_provider === 'twilio' && settings.twilio_account_sid && settings.twilio_auth_token && settings.sms_from) {
    return twilioAdapter({
      accountSid: settings.twilio_account_sid,
      authToken: settings.twilio_auth_token,
      from: settings.sms_from,
      ...(settings.twilio_base_url ? { baseUrl: settings.twilio_base_url } : {}),
    });
  }
  if (settings.sms_provider === 'webhook' && settings.webhook_url && settings.webhook_secret) {
    return webhookSmsAdapter({ url: settings.webhook_url, secret: settings.webhook_secret, ...(clock ? { clock } : {}) });
  }
  return sandboxAdapter;
}
