import type { Organization, Resource } from '@medplum/fhirtypes';
import { toE164, normalizeEmail } from '../patients/normalize.ts';
import type { TableMapper } from './table-phase.ts';
import { clip, fail } from './values.ts';

/** Organization → the directory of outside organizations (hospitals, payers, practices). */

const KINDS = ['prov', 'dept', 'team', 'govt', 'ins', 'pay', 'edu', 'reli', 'crs', 'cg', 'bus', 'other'];

export const organizationMapper: TableMapper = {
  type: 'Organization',
  table: 'organization',
  aliases: (resource) => identifierAliases(resource),
  async map(resource) {
    const org = resource as Organization;
    const name = clip(org.name, 200) ?? fail('Organization.name is required');
    const kind = org.type?.flatMap((t) => t.coding ?? []).find((c) => c.code && KINDS.includes(c.code))?.code ?? (org.type?.length ? 'other' : null);
    const phone = org.telecom?.find((t) => t.system === 'phone' && t.value)?.value;
    const email = org.telecom?.find((t) => t.system === 'email' && t.value)?.value;
    const address = org.address?.find((a) => a.use !== 'old') ?? org.address?.[0];
    return {
      name,
      kind,
      phone: phone ? (toE164(phone) ?? clip(phone, 40)) : null,
      email: email ? normalizeEmail(email) : null,
      address_line: clip(address?.line?.join(', '), 200),
      city: clip(address?.city, 100),
      region: clip(address?.state, 100),
      postal_code: clip(address?.postalCode, 20),
      country: clip(address?.country, 60),
      active: org.active ?? true,
    };
  },
};

/** Every identifier with a system and value names the same row again (an NPI, a registry number). */
export function identifierAliases(resource: Resource): Array<{ system: string; value: string }> {
  const list = (resource as { identifier?: Array<{ system?: string; value?: string }> }).identifier ?? [];
  return list
    .filter((i) => i.system && i.value && i.system.length <= 300 && i.value.length <= 300)
    .map((i) => ({ system: i.system!, value: i.value! }));
}
