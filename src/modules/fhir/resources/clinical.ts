import type { CarePlan, Claim, Money, Condition, Encounter, Immunization, MedicationRequest, Resource } from '@medplum/fhirtypes';
import type { TenantScope } from '../../../server/db/scope.ts';
import { compact, iso, meta, ref } from './common.ts';

/**
 * Read-only mappings of what Rapport keeps from other systems (migration 0008_interop): past
 * encounters, immunizations, conditions, medications, care plans and claims. They appear in
 * Patient/$everything; Rapport keeps codes, displays, dates and statuses, not the whole resource.
 */

const coding = (system: string | null, code: string | null, display: string | null) =>
  compact({ coding: code ? [compact({ system: system ?? undefined, code, display: display ?? undefined })] : undefined, text: display ?? undefined });
const money = (cents: number | null, currency: string) => (cents === null ? undefined : { value: cents / 100, currency: currency as Money['currency'] });

export async function clinicalRecordOf(scope: TenantScope, patientId: string, limit: number): Promise<Resource[]> {
  const patient = { reference: `Patient/${patientId}` };
  const [encounters, immunizations, conditions, medications, plans, claims] = await Promise.all([
    scope.tx.selectFrom('encounter').selectAll().where('patient_id', '=', patientId).orderBy('started_at', 'desc').limit(limit).execute(),
    scope.tx.selectFrom('immunization').selectAll().where('patient_id', '=', patientId).orderBy('occurred_at', 'desc').limit(limit).execute(),
    scope.tx.selectFrom('condition').selectAll().where('patient_id', '=', patientId).orderBy('created_at', 'desc').limit(limit).execute(),
    scope.tx.selectFrom('patient_medication').selectAll().where('patient_id', '=', patientId).orderBy('created_at', 'desc').limit(limit).execute(),
    scope.tx.selectFrom('care_plan').selectAll().where('patient_id', '=', patientId).orderBy('created_at', 'desc').limit(limit).execute(),
    scope.tx.selectFrom('claim').selectAll().where('patient_id', '=', patientId).orderBy('service_start', 'desc').limit(limit).execute(),
  ]);
  const out: Resource[] = [];
  for (const e of encounters) {
    out.push(
      compact<Encounter>({
        resourceType: 'Encounter',
        id: e.id,
        meta: meta(null, e.updated_at),
        status: e.status,
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: e.class_code ?? 'AMB' },
        type: e.type_code || e.type_display ? [coding(e.type_system, e.type_code, e.type_display)] : undefined,
        subject: patient,
        participant: e.practitioner_id ? [{ individual: ref('Practitioner', e.practitioner_id) }] : undefined,
        period: compact({ start: iso(e.started_at), end: iso(e.ended_at) }),
        reasonCode: e.reason_display ? [{ text: e.reason_display }] : undefined,
        location: e.location_name ? [{ location: { display: e.location_name } }] : undefined,
        serviceProvider: ref('Organization', e.organization_id),
      }),
    );
  }
  for (const i of immunizations) {
    out.push(
      compact<Immunization>({
        resourceType: 'Immunization',
        id: i.id,
        meta: meta(null, i.created_at),
        status: i.status,
        vaccineCode: coding(i.vaccine_system, i.vaccine_code, i.vaccine_display),
        patient,
        encounter: ref('Encounter', i.encounter_id),
        occurrenceDateTime: iso(i.occurred_at)!,
      }),
    );
  }
  for (const c of conditions) {
    out.push(
      compact<Condition>({
        resourceType: 'Condition',
        id: c.id,
        meta: meta(null, c.updated_at),
        clinicalStatus: c.clinical_status ? { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: c.clinical_status }] } : undefined,
        verificationStatus: c.verification_status ? { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: c.verification_status }] } : undefined,
        code: coding(c.code_system, c.code, c.display),
        subject: patient,
        encounter: ref('Encounter', c.encounter_id),
        onsetDateTime: iso(c.onset_at),
        abatementDateTime: iso(c.abated_at),
        recordedDate: iso(c.recorded_at),
      }),
    );
  }
  for (const m of medications) {
    out.push(
      compact<MedicationRequest>({
        resourceType: 'MedicationRequest',
        id: m.id,
        meta: meta(null, m.updated_at),
        status: m.status,
        intent: 'order',
        medicationCodeableConcept: coding(m.code_system, m.code, m.display),
        subject: patient,
        encounter: ref('Encounter', m.encounter_id),
        authoredOn: iso(m.authored_at),
        requester: ref('Practitioner', m.requester_id),
        dosageInstruction: m.dosage_text ? [{ text: m.dosage_text }] : undefined,
      }),
    );
  }
  for (const p of plans) {
    out.push(
      compact<CarePlan>({
        resourceType: 'CarePlan',
        id: p.id,
        meta: meta(null, p.updated_at),
        status: p.status,
        intent: 'plan',
        title: p.title,
        category: p.category_code ? [{ coding: [{ code: p.category_code }] }] : undefined,
        subject: patient,
        encounter: ref('Encounter', p.encounter_id),
        period: p.period_start || p.period_end ? compact({ start: iso(p.period_start), end: iso(p.period_end) }) : undefined,
        activity: p.activities.map((a) => ({ detail: compact({ code: coding(null, a.code, a.display), status: (a.status ?? 'unknown') as 'unknown' }) })),
      }),
    );
  }
  for (const c of claims) {
    out.push(
      compact<Claim>({
        resourceType: 'Claim',
        id: c.id,
        meta: meta(null, c.updated_at),
        status: c.status,
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
        use: 'claim',
        patient,
        created: iso(c.created_at)!,
        billablePeriod: c.service_start || c.service_end ? compact({ start: iso(c.service_start), end: iso(c.service_end) }) : undefined,
        provider: ref('Organization', c.organization_id ?? scope.tenantId)!,
        priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }] },
        insurer: c.payer ? { display: c.payer } : undefined,
        // Rapport keeps the payer's name, not the coverage: the required insurance names it by display.
        insurance: [{ sequence: 1, focal: true, coverage: { display: c.payer ?? 'Coverage not recorded' } }],
        total: money(c.total_cents, c.currency),
      }),
    );
  }
  return out;
}
