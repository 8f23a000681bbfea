import { Group, Select, Text, TextInput } from '@mantine/core';
import type { PreferredChannel } from '../api/patients.ts';
import { errorAt, type FieldErrors } from '../common/fieldErrors.ts';
import { ContactList } from './ContactList.tsx';
import { FormSection } from './FormSection.tsx';
import { CHANNEL_OPTIONS } from './options.ts';
import type { PatientFormChange, PatientFormValues } from './values.ts';

interface Props {
  values: PatientFormValues;
  errors: FieldErrors;
  onChange: PatientFormChange;
}

/** How to reach the patient, and when not to. */
export function ContactFields({ values, errors, onChange }: Props) {
  const quietError = errorAt(errors, 'quietHours');
  return (
    <FormSection title="Contact">
      <ContactList noun="Phone" path="phones" rows={values.phones} errors={errors} onChange={(phones) => onChange({ phones })} />
      <ContactList noun="Email" path="emails" rows={values.emails} errors={errors} onChange={(emails) => onChange({ emails })} />
      <Select
        label="Preferred channel"
        placeholder="No preference"
        data={CHANNEL_OPTIONS}
        value={values.preferredChannel || null}
        onChange={(value) => onChange({ preferredChannel: (value ?? '') as PreferredChannel | '' })}
        clearable
        error={errorAt(errors, 'preferredChannel')}
      />
      <div>
        <Group gap="xs" align="flex-start" wrap="nowrap">
          <TextInput
            type="time"
            label="Quiet hours from"
            style={{ flex: 1 }}
            value={values.quietStart}
            onChange={(e) => onChange({ quietStart: e.currentTarget.value })}
            error={Boolean(quietError)}
          />
          <TextInput
            type="time"
            label="until"
            style={{ flex: 1 }}
            value={values.quietEnd}
            onChange={(e) => onChange({ quietEnd: e.currentTarget.value })}
            error={Boolean(quietError)}
          />
        </Group>
        <Text fz="xs" c={quietError ? 'red' : 'dimmed'} mt={4}>
          {quietError ?? 'No messages in this window, in the patient’s own time zone.'}
        </Text>
      </div>
    </FormSection>
  );
}
