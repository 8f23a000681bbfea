import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { canValidate, validationErrors } from '../fhir/validate.ts';

/**
 * The R4 check every imported entry of a type Rapport stores goes through, on both entry points
 * (`rapport import fhir` and POST /fhir/R4), so one file is judged the same way by both: Medplum's
 * validator against the R4 StructureDefinitions plus the required code bindings (fhir/validate.ts),
 * errors and fatal issues only. Each resource object is checked once: processBundle checks a
 * bundle's entries before importing them, and the pipeline's own check of the same objects is then
 * a lookup here. Resources are never changed after they are read, so the answer cannot go stale.
 */

const checked = new WeakMap<Resource, readonly OperationOutcomeIssue[]>();

/**
 * The errors the resource has against its R4 definition; none for a conforming one or a type not
 * validated here. Warnings never count (validationErrors leaves them out): the validator's "Invalid
 * reference" warning, for one, is given for every `urn:uuid:` reference, which is how Synthea's
 * bundles (rightly) refer to their entries.
 */
export function r4Errors(resource: Resource): readonly OperationOutcomeIssue[] {
  if (!canValidate(resource.resourceType)) return [];
  let errors = checked.get(resource);
  if (!errors) {
    errors = validationErrors(resource);
    checked.set(resource, errors);
  }
  return errors;
}

const SHOWN = 5;

/** The failure reason of a resource that does not conform: each problem with the element it is at. */
export function nonConformance(errors: readonly OperationOutcomeIssue[]): string {
  const problems = errors.slice(0, SHOWN).map((i) => {
    const text = i.details?.text ?? i.diagnostics ?? i.code;
    const at = i.expression?.[0];
    return at && !text.includes(at) ? `${at}: ${text}` : text;
  });
  const more = errors.length > SHOWN ? `; and ${errors.length - SHOWN} more` : '';
  return `does not conform to FHIR R4: ${problems.join('; ')}${more}`;
}
