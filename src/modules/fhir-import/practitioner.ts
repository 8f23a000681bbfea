import type { Practitioner } from '@medplum/fhirtypes';
import { normalizeEmail, toE164 } from '../patients/normalize.ts';
import { identifierAliases } from './organization.ts';
import type { TableMapper } from './table-phase.ts';
import { clip, conceptText, fail } from './values.ts';

/**
 * Practitioner → a practitioner in the directory, not on the staff (no user). The same NPI (any
 * identifier) names the same practitioner, whatever the resource id. Its organization is the one
 * its encounters were held at (see encounter.ts), set once.
 */
export const practitionerMapper: TableMapper = {
  type: 'Practitioner',
  table: 'practitioner',
  aliases: (resource) => identifierAliases(resource),
  async map(resource) {
    const p = resource as Practitioner;
    const name = p.name?.find((n) => n.use === 'official') ?? p.name?.[0];
    const given = clip(name?.given?.[0], 100) ?? fail('Practitioner.name.given is required');
    const family = clip(name?.family, 100) ?? fail('Practitioner.name.family is required');
    const phone = p.telecom?.find((t) => t.system === 'phone' && t.value)?.value;
    const email = p.telecom?.find((t) => t.system === 'email' && t.value)?.value;
    return {
      prefix: clip(name?.prefix?.[0], 20),
      given_name: given,
      family_name: family,
      specialty: clip(conceptText(p.qualification?.[0]?.code), 100),
      email: email ? normalizeEmail(email) : null,
      phone: phone ? (toE164(phone) ?? clip(phone, 40)) : null,
      active: p.active ?? true,
    };
  },
};
