import { TextInput } from '@mantine/core';
import { errorAt, type FieldErrors } from '../common/fieldErrors.ts';
import { FormSection } from './FormSection.tsx';
import type { PatientFormChange, PatientFormValues } from './values.ts';

interface Props {
  values: PatientFormValues;
  errors: FieldErrors;
  onChange: PatientFormChange;
}

export function AddressFields({ values, errors, onChange }: Props) {
  const address = values.address;
  const set = (patch: Partial<PatientFormValues['address']>) => onChange({ address: { ...address, ...patch } });
  return (
    <FormSection title="Address" cols={3}>
      <TextInput label="Street" value={address.line} onChange={(e) => set({ line: e.currentTarget.value })} error={errorAt(errors, 'address.line')} />
      <TextInput label="City" value={address.city} onChange={(e) => set({ city: e.currentTarget.value })} error={errorAt(errors, 'address.city')} />
      <TextInput
        label="State or region"
        value={address.region}
        onChange={(e) => set({ region: e.currentTarget.value })}
        error={errorAt(errors, 'address.region')}
      />
      <TextInput
        label="Postal code"
        value={address.postalCode}
        onChange={(e) => set({ postalCode: e.currentTarget.value })}
        error={errorAt(errors, 'address.postalCode')}
      />
      <TextInput
        label="Country"
        description="Two-letter code, e.g. US"
        maxLength={2}
        value={address.country}
        onChange={(e) => set({ country: e.currentTarget.value.toUpperCase() })}
        error={errorAt(errors, 'address.country') ?? errorAt(errors, 'address')}
      />
    </FormSection>
  );
}
