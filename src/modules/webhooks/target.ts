import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { Config } from '../../server/config.ts';

/**
 * Where webhooks may go (decision 0023). A clinic's admin types the URL, so the server must not
 * become a way into the network it runs in:
 *
 * - https only; plain http only to a loopback host, and loopback at all only when the policy allows
 *   it (Rapport itself not served on an https public URL: development, tests, a single machine);
 * - never a private, link-local (cloud metadata), carrier-grade NAT, multicast, reserved or
 *   unspecified address; checked on the URL when saved, and on every address a name resolves to at
 *   each delivery, on the connection itself, so a name cannot be pointed inward later;
 * - no credentials or fragment in the URL (the secret authenticates; a fragment is never sent).
 */

export type TargetPolicy = { allowLoopback: boolean };

type AddressKind = 'public' | 'loopback' | 'private';

function ipv4Kind(address: string): AddressKind {
  const [a, b] = address.split('.').map(Number) as [number, number, number, number];
  if (a === 127) return 'loopback';
  if (a === 0 || a === 10 || a >= 224) return 'private';
  if (a === 169 && b === 254) return 'private';
  if (a === 172 && b >= 16 && b <= 31) return 'private';
  if (a === 192 && b === 168) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'private';
  if (a === 192 && b === 0) return 'private';
  if (a === 198 && (b === 18 || b === 19)) return 'private';
  return 'public';
}

function ipv6Kind(address: string): AddressKind {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  if (a === '::1') return 'loopback';
  if (a === '::') return 'private';
  const mapped = a.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
  if (mapped) return ipv4Kind(mapped[1]!);
  if (/^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/.test(a)) {
    // ::ffff:7f00:1 is 127.0.0.1 written in hex.
    const [hi, lo] = a.slice(7).split(':').map((h) => parseInt(h, 16)) as [number, number];
    return ipv4Kind(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  const first = parseInt(a.split(':')[0] || '0', 16);
  if ((first & 0xfe00) === 0xfc00) return 'private'; // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return 'private'; // fe80::/10 link-local
  if ((first & 0xff00) === 0xff00) return 'private'; // multicast
  if (a.startsWith('64:ff9b:') || a.startsWith('2001:db8:')) return 'private';
  return 'public';
}

/** What kind of address an IP literal is; null for a name. */
export function addressKind(address: string): AddressKind | null {
  const bare = address.replace(/^\[|\]$/g, '');
  const version = isIP(bare);
  if (version === 4) return ipv4Kind(bare);
  if (version === 6) return ipv6Kind(bare);
  return null;
}

const isLoopbackName = (host: string) => host === 'localhost' || host.endsWith('.localhost');

/** Why an address may not be connected to under the policy, or null when it may. */
export function refusedAddress(address: string, policy: TargetPolicy): string | null {
  const kind = addressKind(address);
  if (kind === 'private') return `${address} is a private or reserved address`;
  if (kind === 'loopback' && !policy.allowLoopback) return `${address} is a loopback address, allowed only on a development server`;
  return null;
}

/** What is wrong with a subscription URL under the policy, in words for the `url` field, or null. */
export function urlProblem(raw: string, policy: TargetPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL such as https://hooks.example.org/rapport';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https:// URL';
  if (url.username || url.password) return 'must not carry a user name or password (the signing secret authenticates Rapport)';
  if (url.hash) return 'must not have a #fragment';
  const host = url.hostname.toLowerCase();
  const literal = addressKind(host);
  const loopback = literal === 'loopback' || (literal === null && isLoopbackName(host));
  if (url.protocol === 'http:' && !loopback) return 'must be an https:// URL (plain http is allowed only to localhost on a development server)';
  if (loopback && !policy.allowLoopback) return 'must not point at this server (localhost is allowed only on a development server)';
  if (literal === 'private') return `must not point into a private network (${host} is a private or reserved address)`;
  return null;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that resolves as usual, then refuses the connection when any address
 * the name resolves to is not allowed. Used on the socket itself, so what was checked is what is dialled.
 */
export function guardedLookup(policy: TargetPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses;
      const refused = list.map((a) => refusedAddress(a.address, policy)).find((r) => r !== null);
      if (refused) {
        const denied = Object.assign(new Error(`refused: ${hostname} resolves to ${refused}`), { code: 'EWEBHOOKTARGET' });
        return callback(denied, []);
      }
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}

/**
 * The policy of this deployment: loopback is allowed only while Rapport is not served on an https
 * public URL (RAPPORT_PUBLIC_URL unset or http): a development machine or a test, not a clinic's
 * production server, where localhost would reach the server's own private services.
 */
export const webhookPolicy = (config: Pick<Config, 'cookieSecure'>): TargetPolicy => ({ allowLoopback: !config.cookieSecure });
