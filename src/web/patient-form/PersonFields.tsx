import { Select, TextInput } from '@mantine/core';
import { errorAt, type FieldErrors } from '../common/fieldErrors.ts';
import type { Sex } from '../api/patients.ts';
import { FormSection } from './FormSection.tsx';
import { SEX_OPTIONS } from './options.ts';
import type { PatientFormChange, PatientFormValues } from './values.ts';

interface Props {
  values: PatientFormValues;
  errors: FieldErrors;
  onChange: PatientFormChange;
}

/** Who the patient is: names, date of birth, sex and gender, the EHR's MRN. */
export function PersonFields({ values, errors, onChange }: Props) {
  return (
    <FormSection title="Person" cols={3}>
      <TextInput
        label="Given name"
        required
        autoComplete="off"
        value={values.givenName}
        onChange={(e) => onChange({ givenName: e.currentTarget.value })}
        error={errorAt(errors, 'givenName')}
      />
      <TextInput
        label="Family name"
        required
        autoComplete="off"
        value={values.familyName}
        onChange={(e) => onChange({ familyName: e.currentTarget.value })}
        error={errorAt(errors, 'familyName')}
      />
      <TextInput
        label="Preferred name"
        description="What they like to be called"
        value={values.preferredName}
        onChange={(e) => onChange({ preferredName: e.currentTarget.value })}
        error={errorAt(errors, 'preferredName')}
      />
      <TextInput
        type="date"
        label="Date of birth"
        value={values.birthDate}
        onChange={(e) => onChange({ birthDate: e.currentTarget.value })}
        error={errorAt(errors, 'birthDate')}
      />
      <Select
        label="Sex"
        placeholder="Not recorded"
        data={SEX_OPTIONS}
        value={values.sex || null}
        onChange={(value) => onChange({ sex: (value ?? '') as Sex | '' })}
        clearable
        error={errorAt(errors, 'sex')}
      />
      <TextInput
        label="Pronouns"
        placeholder="e.g. she/her"
        value={values.pronouns}
        onChange={(e) => onChange({ pronouns: e.currentTarget.value })}
        error={errorAt(errors, 'pronouns')}
      />
      <TextInput
        label="Gender identity"
        value={values.genderIdentity}
        onChange={(e) => onChange({ genderIdentity: e.currentTarget.value })}
        error={errorAt(errors, 'genderIdentity')}
      />
      <TextInput
        label="MRN"
        description="Medical record number from the EHR"
        value={values.mrn}
        onChange={(e) => onChange({ mrn: e.currentTarget.value })}
        error={errorAt(errors, 'mrn')}
      />
    </FormSection>
  );
}
