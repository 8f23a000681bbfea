import { z } from 'zod';
import { MERGEABLE_FIELDS, type MergeableField } from './merge-fields.ts';

/** zod schemas for the duplicate review queue and merge API. */

const side = z.enum(['survivor', 'merged']);
const level = z.enum(['clear', 'likely', 'none']);

export const duplicateQueueQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});

export const idParams = z.object({ id: z.string().max(100) });

const reason = z.object({ field: z.string(), detail: z.string(), weight: z.number() });

const patientSide = z.object({
  id: z.uuid(),
  version: z.number().int(),
  mrn: z.string().nullable(),
  givenName: z.string(),
  familyName: z.string(),
  preferredName: z.string().nullable(),
  birthDate: z.string().nullable(),
  sex: z.string().nullable(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  addressLine: z.string().nullable(),
  city: z.string().nullable(),
  postalCode: z.string().nullable(),
  lifecycleStatus: z.string(),
  createdAt: z.string(),
});

export const duplicateCandidate = z.object({
  id: z.uuid(),
  score: z.number().min(0).max(1),
  level,
  reasons: z.array(reason),
  status: z.enum(['open', 'merged', 'dismissed']),
  detectedBy: z.string(),
  detectedAt: z.string(),
  patients: z.tuple([patientSide, patientSide]),
});

export const duplicateQueue = z.object({ items: z.array(duplicateCandidate), nextCursor: z.string().nullable() });
export const patientDuplicateList = z.object({ items: z.array(duplicateCandidate) });

export const scanResult = z.object({
  patients: z.number().int(),
  pairsCompared: z.number().int(),
  clear: z.number().int(),
  likely: z.number().int(),
  ms: z.number().int(),
});

const choiceShape = Object.fromEntries(MERGEABLE_FIELDS.map((f) => [f, side.optional()])) as Record<MergeableField, z.ZodOptional<typeof side>>;

export const mergeBody = z.strictObject({
  survivorId: z.uuid({ message: 'must be a patient id' }),
  mergedId: z.uuid({ message: 'must be a patient id' }),
  /** Per field, whose value the survivor keeps; a field left out keeps the survivor's (or fills an empty one). */
  choices: z.strictObject(choiceShape).default({}),
  expectedVersions: z.strictObject({ survivor: z.number().int().min(1), merged: z.number().int().min(1) }).optional(),
});

export const mergeRecord = z.object({
  id: z.uuid(),
  survivorId: z.uuid(),
  mergedId: z.uuid(),
  chosen: z.record(z.string(), side),
  changedFields: z.array(z.string()),
  moved: z.array(z.object({ table: z.string(), column: z.string(), rows: z.number().int() })),
  stayed: z.array(z.object({ table: z.string(), column: z.string(), rows: z.number().int(), reason: z.string() })),
  added: z.array(z.object({ system: z.string(), value: z.string() })),
  mergedAt: z.string(),
  mergedBy: z.string().nullable(),
  undoneAt: z.string().nullable(),
  undoneBy: z.string().nullable(),
});
