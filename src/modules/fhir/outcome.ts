import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { AppError } from '../../server/errors.ts';

/**
 * Every error of the FHIR API is an OperationOutcome. `FhirError` carries one with its HTTP status;
 * the plugin's error handler turns AppErrors from the rest of Rapport into one too, so a booking
 * rule or a 404 from a service reads the same to a FHIR client as a refusal made here.
 */
export class FhirError extends Error {
  readonly status: number;
  readonly outcome: OperationOutcome;

  constructor(status: number, outcome: OperationOutcome) {
    super(outcome.issue?.map((i) => i.diagnostics ?? i.details?.text).join('; ') ?? 'FHIR error');
    this.name = 'FhirError';
    this.status = status;
    this.outcome = outcome;
  }
}

type IssueCode = OperationOutcomeIssue['code'];

export function outcome(code: IssueCode, text: string, expression?: string[], severity: OperationOutcomeIssue['severity'] = 'error'): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity, code, details: { text }, ...(expression?.length ? { expression } : {}) }],
  };
}

export const fhirError = (status: number, code: IssueCode, text: string, expression?: string[]) => new FhirError(status, outcome(code, text, expression));
export const badSearch = (text: string, param?: string) => fhirError(400, 'invalid', text, param ? [param] : undefined);
export const resourceNotFound = (type: string, id: string) => fhirError(404, 'not-found', `${type}/${id} was not found.`);
export const unknownType = (type: string) => fhirError(404, 'not-supported', `This server has no resource type "${type}".`);
export const notSupported = (type: string, interaction: string) =>
  fhirError(405, 'not-supported', `${interaction} is not supported for ${type}; see /fhir/R4/metadata for what is.`);
export const invalidResource = (issues: OperationOutcomeIssue[]) => new FhirError(422, { resourceType: 'OperationOutcome', issue: issues });
export const preconditionFailed = (text: string) => fhirError(412, 'conflict', text);

const ISSUE_FOR_STATUS: Record<number, IssueCode> = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  405: 'not-supported',
  409: 'conflict',
  412: 'conflict',
  413: 'too-long',
  415: 'not-supported',
  422: 'processing',
  429: 'throttled',
};

/** An AppError (a refusal made by a Rapport service) as an OperationOutcome with the same status. */
export function fromAppError(error: AppError): FhirError {
  const issues: OperationOutcomeIssue[] = error.fields?.length
    ? error.fields.map((f) => ({ severity: 'error', code: ISSUE_FOR_STATUS[error.status] ?? 'processing', details: { text: `${f.path} ${f.message}`.trim() }, diagnostics: error.code }))
    : [{ severity: 'error', code: ISSUE_FOR_STATUS[error.status] ?? (error.status >= 500 ? 'exception' : 'processing'), details: { text: error.message }, diagnostics: error.code }];
  return new FhirError(error.status, { resourceType: 'OperationOutcome', issue: issues });
}

/**
 * A refusal of the content of a write (the service's 400 validation_failed) is a 422 in FHIR: the
 * request was understood, the resource is not acceptable. Other errors pass unchanged.
 */
export function asUnprocessable(error: unknown): unknown {
  if (error instanceof AppError && error.status === 400) {
    const converted = fromAppError(error);
    return new FhirError(422, converted.outcome);
  }
  return error;
}
