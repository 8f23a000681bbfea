import { useEffect, useRef } from 'react';
import { Alert, List, Stack } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import type { CustomField, Tag } from '../api/catalog.ts';
import { errorMessage } from '../api/client.ts';
import { fieldErrorsOf, sentence, unclaimedErrors } from '../common/fieldErrors.ts';
import { AddressFields } from './AddressFields.tsx';
import { CareFields } from './CareFields.tsx';
import { ContactFields } from './ContactFields.tsx';
import { CustomFieldInputs } from './CustomFieldInputs.tsx';
import { PersonFields } from './PersonFields.tsx';
import type { PatientFormChange, PatientFormValues } from './values.ts';

/** Paths the inputs below show their own problems for. */
const CLAIMED = [
  'givenName', 'familyName', 'preferredName', 'birthDate', 'sex', 'pronouns', 'genderIdentity', 'mrn', 'phones', 'emails',
  'preferredChannel', 'quietHours', 'address', 'language', 'timeZone', 'lifecycleStatus', 'tags', 'source', 'customFields',
];

interface PatientFormFieldsProps {
  values: PatientFormValues;
  onChange: PatientFormChange;
  tags: Tag[];
  customFields: CustomField[];
  /** The last failed save: a 400's problems go under each field, anything else in an alert. */
  error: unknown;
  /** Errors this form's owner shows itself (a possible duplicate, a version conflict). */
  handledElsewhere?: boolean;
}

/** Every field of a patient record, shared by "New patient" and the Details tab. */
export function PatientFormFields({ values, onChange, tags, customFields, error, handledElsewhere }: PatientFormFieldsProps) {
  const errors = fieldErrorsOf(error);
  const stray = unclaimedErrors(errors, CLAIMED);
  const showAlert = error !== null && error !== undefined && !handledElsewhere;
  const ref = useRef<HTMLDivElement>(null);
  // After a refused save, take the user to the first field that needs fixing.
  useEffect(() => {
    if (errors.size === 0) return;
    ref.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [error, errors.size]);
  return (
    <Stack gap="lg" ref={ref}>
      {showAlert && (
        <Alert
          color="red"
          variant="light"
          icon={<IconAlertCircle aria-hidden />}
          title={errors.size ? 'Some fields need another look' : 'The patient was not saved'}
        >
          {errors.size ? 'Each problem is shown under its field.' : errorMessage(error)}
          {stray.length > 0 && (
            <List size="sm" mt={4}>
              {stray.map((p) => (
                <List.Item key={p.path}>
                  {p.path}: {sentence(p.message)}
                </List.Item>
              ))}
            </List>
          )}
        </Alert>
      )}
      <PersonFields values={values} errors={errors} onChange={onChange} />
      <ContactFields values={values} errors={errors} onChange={onChange} />
      <AddressFields values={values} errors={errors} onChange={onChange} />
      <CareFields values={values} errors={errors} tags={tags} onChange={onChange} />
      <CustomFieldInputs fields={customFields} values={values} errors={errors} onChange={onChange} />
    </Stack>
  );
}
