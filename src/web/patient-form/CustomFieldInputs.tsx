import { NumberInput, Select, TextInput } from '@mantine/core';
import type { CustomField } from '../api/catalog.ts';
import { errorAt, type FieldErrors } from '../common/fieldErrors.ts';
import { FormSection } from './FormSection.tsx';
import type { PatientFormChange, PatientFormValues } from './values.ts';

interface Props {
  fields: CustomField[];
  values: PatientFormValues;
  errors: FieldErrors;
  onChange: PatientFormChange;
}

/** The clinic's own patient fields, each with an input fit for its type. */
export function CustomFieldInputs({ fields, values, errors, onChange }: Props) {
  if (fields.length === 0) return null;
  const set = (key: string, value: string) => onChange({ customFields: { ...values.customFields, [key]: value } });

  return (
    <FormSection title="Clinic fields" cols={3}>
      {fields.map((field) => {
        const value = values.customFields[field.key] ?? '';
        const common = { label: field.label, required: field.required, error: errorAt(errors, `customFields.${field.key}`) };
        switch (field.type) {
          case 'number':
            return (
              <NumberInput
                key={field.key}
                {...common}
                value={value}
                onChange={(v) => set(field.key, v === '' ? '' : String(v))}
              />
            );
          case 'date':
            return <TextInput key={field.key} {...common} type="date" value={value} onChange={(e) => set(field.key, e.currentTarget.value)} />;
          case 'choice':
            return (
              <Select
                key={field.key}
                {...common}
                data={[...new Set([...(field.choices ?? []), ...(value ? [value] : [])])]}
                value={value || null}
                onChange={(v) => set(field.key, v ?? '')}
                clearable={!field.required}
              />
            );
          default:
            return <TextInput key={field.key} {...common} value={value} onChange={(e) => set(field.key, e.currentTarget.value)} />;
        }
      })}
    </FormSection>
  );
}
