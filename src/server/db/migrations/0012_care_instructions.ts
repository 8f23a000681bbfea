import { sql, type Kysely } from 'kysely';

/**
 * Care instructions after a visit: a service's, written once by the clinic ("After your dental
 * cleaning: ..."), and a visit's own, written by the clinician at or after completion, which wins.
 * The follow-up email fills `{{appointment.careInstructions}}` from them.
 *
 * Clinics created before this change hold the old follow-up template, whose "care" was a fixed
 * sentence. Where that template is still byte for byte what Rapport shipped (subject and body), it
 * is replaced by the new one; a clinic that edited it keeps its own text. The texts are written out
 * here, not imported, so this migration means the same thing whatever defaults.ts says later.
 */

const OLD_SUBJECT = 'Thank you for visiting {{clinic.name}}';
const OLD_BODY =
  'Hi {{patient.firstName}},\n\nThank you for coming in yesterday for your {{appointment.service}} with {{appointment.practitioner}}.\n\nCare after your visit: follow the advice you were given at the clinic, and call us on {{clinic.phone}} if anything worries you. In an emergency, call your local emergency number.\n\nHow did we do? It takes a minute: {{links.survey}}\n\n{{clinic.name}}';
const NEW_BODY =
  'Hi {{patient.firstName}},\n\nThank you for coming in yesterday for your {{appointment.service}} with {{appointment.practitioner}}.\n\nCare after your visit:\n{{appointment.careInstructions}}\n\nIf anything worries you, call us on {{clinic.phone}}. In an emergency, call your local emergency number.\n\nHow did we do? It takes a minute: {{links.survey}}\n\n{{clinic.name}}';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
ALTER TABLE service ADD COLUMN care_instructions text CHECK (length(care_instructions) BETWEEN 1 AND 2000);
ALTER TABLE appointment ADD COLUMN care_instructions text CHECK (length(care_instructions) BETWEEN 1 AND 2000);
`,
    )
    .execute(db);
  // A new version, so an editor opened before the upgrade is told the template changed under it.
  await sql`
    UPDATE message_template
    SET body = ${NEW_BODY}, version = version + 1, updated_at = now()
    WHERE key = 'visit.followup' AND channel = 'email' AND language = 'en' AND subject = ${OLD_SUBJECT} AND body = ${OLD_BODY}
  `.execute(db);
}
