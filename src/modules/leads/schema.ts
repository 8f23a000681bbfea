import { z } from 'zod';

const text = (max: number) => z.string().trim().min(1).max(max);

export const leadStage = z.enum(['new', 'contacted', 'qualified', 'converted', 'lost']);

export const leadSource = z.strictObject({
  channel: text(100).optional(),
  campaign: text(200).optional(),
  referrer: text(500).optional(),
  utmSource: text(200).optional(),
  utmMedium: text(200).optional(),
  utmCampaign: text(200).optional(),
  utmTerm: text(200).optional(),
  utmContent: text(200).optional(),
});

export const newLeadBody = z.strictObject({
  givenName: text(100),
  familyName: text(100),
  birthDate: z.iso.date({ message: 'must be a date as YYYY-MM-DD' }).optional(),
  phone: text(40).optional(),
  email: text(320).optional(),
  interest: text(200).optional(),
  message: text(5000).optional(),
  ownerId: z.uuid().optional(),
  source: leadSource.optional(),
});

/** What a public web form sends. `website` is a honeypot: people never see it, bots fill it in. */
export const webFormBody = z.strictObject({
  givenName: text(100),
  familyName: text(100),
  phone: text(40).optional(),
  email: text(320).optional(),
  interest: text(200).optional(),
  message: text(5000).optional(),
  referrer: z.string().max(500).optional(),
  utmSource: z.string().max(200).optional(),
  utmMedium: z.string().max(200).optional(),
  utmCampaign: z.string().max(200).optional(),
  utmTerm: z.string().max(200).optional(),
  utmContent: z.string().max(200).optional(),
  website: z.string().max(500).optional(),
});
export type WebFormBody = z.infer<typeof webFormBody>;

export const leadChangeBody = z.strictObject({
  stage: z.enum(['new', 'contacted', 'qualified', 'lost']).optional(),
  lostReason: text(500).optional(),
  ownerId: z.uuid().nullable().optional(),
  interest: text(200).optional(),
});

export const convertBody = z.strictObject({ patientId: z.uuid().optional(), confirmNotDuplicate: z.boolean().optional() });

const nullableString = z.string().nullable();
export const lead = z.object({
  id: z.uuid(),
  givenName: z.string(),
  familyName: z.string(),
  birthDate: nullableString,
  phone: nullableString,
  email: nullableString,
  interest: nullableString,
  message: nullableString,
  stage: leadStage,
  lostReason: nullableString,
  owner: z.object({ id: z.uuid(), name: z.string() }).nullable(),
  patientId: z.uuid().nullable(),
  origin: z.enum(['staff', 'api', 'web_form', 'import']),
  source: z.object({
    channel: nullableString,
    campaign: nullableString,
    referrer: nullableString,
    utmSource: nullableString,
    utmMedium: nullableString,
    utmCampaign: nullableString,
    utmTerm: nullableString,
    utmContent: nullableString,
  }),
  createdAt: z.string(),
  stageChangedAt: z.string(),
  convertedAt: nullableString,
});
