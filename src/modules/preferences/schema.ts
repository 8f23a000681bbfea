import { z } from 'zod';
import { PURPOSES } from '../messaging/types.ts';

/**
 * Wire shapes of the pages patients reach from their messages: the preference centre, the visit
 * survey and the waitlist offer. Nothing here names a patient beyond their first name.
 */

export const tokenParams = z.object({ token: z.string().max(800) });
export const slugParams = z.object({ tenantSlug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'is not a clinic address') });

const purpose = z.enum(PURPOSES, { error: `must be one of ${PURPOSES.join(', ')}` });
/** In-app messages go to the clinic's own pages and cannot be turned off from a link. */
const editableChannel = z.enum(['email', 'sms'], { error: 'must be email or sms (in-app messages cannot be changed here)' });

const consentChange = z.strictObject({
  channel: editableChannel,
  purpose,
  status: z.enum(['granted', 'withdrawn'], { error: 'must be granted or withdrawn' }),
});

export const preferenceChangesBody = z
  .strictObject({ changes: z.array(consentChange).min(1, 'must name at least one change').max(10, 'must have at most 10 changes') })
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.changes.forEach((change, i) => {
      const key = `${change.channel}:${change.purpose}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['changes', i], message: `names ${change.channel} ${change.purpose} a second time` });
      seen.add(key);
    });
  });
export type PreferenceChanges = z.infer<typeof preferenceChangesBody>['changes'];

/** Not strict: a mail system that appends tracking parameters to links must not break unsubscribing. */
export const unsubscribeQuery = z.object({ channel: editableChannel.default('email'), purpose });

export const consentAnswerSchema = z.object({
  channel: z.enum(['email', 'sms', 'in_app']),
  purpose,
  /** default: the patient never answered; `allowed` then follows the purpose's default. */
  status: z.enum(['granted', 'withdrawn', 'default']),
  allowed: z.boolean(),
  /** Whether the patient must opt in to this purpose (education, marketing, research). */
  optIn: z.boolean(),
  editable: z.boolean(),
  changedAt: z.string().nullable(),
});

export const preferencesSchema = z.object({
  clinic: z.object({ name: z.string() }),
  patient: z.object({ firstName: z.string() }),
  /** Whether the clinic has an address for the patient on each channel (never the address itself). */
  reachable: z.object({ email: z.boolean(), sms: z.boolean() }),
  consent: z.array(consentAnswerSchema),
  /** How many answers this request changed (0 on a read, or when nothing differed). */
  changed: z.number().int(),
});
export type PreferencesView = z.infer<typeof preferencesSchema>;

export const unsubscribedSchema = z.object({
  unsubscribed: z.literal(true),
  channel: z.enum(['email', 'sms']),
  purpose,
  /** False when the patient had already withdrawn (the link was used twice). */
  changed: z.boolean(),
});
export type Unsubscribed = z.infer<typeof unsubscribedSchema>;

export const surveyBody = z.strictObject({
  score: z.number({ error: 'must be a whole number from 0 to 10' }).int('must be a whole number from 0 to 10').min(0, 'must be 0 or more').max(10, 'must be 10 or less'),
  comment: z.string().trim().max(2000, 'must be at most 2000 characters').optional(),
});

export const surveySchema = z.object({
  clinic: z.object({ name: z.string() }),
  question: z.string(),
  visit: z.object({
    status: z.enum(['booked', 'arrived', 'fulfilled', 'cancelled', 'noshow']),
    startsAt: z.string(),
    /** The patient's own zone (else the location's), as their messages use. */
    timeZone: z.string(),
    service: z.string(),
    practitioner: z.string(),
    location: z.string(),
  }),
  /** The visit is over and the survey not answered yet. */
  canAnswer: z.boolean(),
  answer: z.object({ score: z.number().int(), answeredAt: z.string() }).nullable(),
});
export type SurveyView = z.infer<typeof surveySchema>;

export const offerSchema = z.object({
  clinic: z.object({ name: z.string(), slug: z.string() }),
  offer: z.object({
    /** pending offers past their time read as expired, and offers of a slot taken otherwise as gone. */
    status: z.enum(['pending', 'accepted', 'declined', 'expired', 'gone']),
    expiresAt: z.string(),
    slot: z.object({
      startsAt: z.string(),
      endsAt: z.string(),
      timeZone: z.string(),
      service: z.string(),
      practitioner: z.string(),
      location: z.object({ name: z.string(), address: z.string().nullable() }),
    }),
  }),
  actions: z.object({ accept: z.boolean(), decline: z.boolean() }),
  /** Once accepted: the signed link to confirm, cancel or move the booked appointment. */
  manageUrl: z.string().nullable(),
});
export type OfferView = z.infer<typeof offerSchema>;

export const bounceBody = z.strictObject({
  /** Our message id (X-Rapport-Message-Id), or the Message-ID header of the email (`<...@rapport>`). */
  messageId: z.string().trim().min(1, 'must not be empty').max(300, 'must be at most 300 characters'),
  type: z.enum(['hard', 'soft'], { error: 'must be hard or soft' }),
  reason: z.string().trim().max(1000, 'must be at most 1000 characters').optional(),
});
export type Bounce = z.infer<typeof bounceBody>;

export const bounceResultSchema = z.object({
  messageId: z.uuid(),
  status: z.string(),
  /** Whether this bounce withdrew email consent (a hard bounce of the address still on file). */
  consentWithdrawn: z.boolean(),
});
export type BounceResult = z.infer<typeof bounceResultSchema>;
