import { MultiSelect, Select, TextInput } from '@mantine/core';
import type { Tag } from '../api/catalog.ts';
import type { StoredLifecycleStatus } from '../api/patients.ts';
import { errorAt, type FieldErrors } from '../common/fieldErrors.ts';
import { FormSection } from './FormSection.tsx';
import { languageOptions, STORED_LIFECYCLE_OPTIONS, timeZoneOptions } from './options.ts';
import type { PatientFormChange, PatientFormValues } from './values.ts';

interface Props {
  values: PatientFormValues;
  errors: FieldErrors;
  tags: Tag[];
  onChange: PatientFormChange;
}

/** Language and time zone, where the patient is in their care, tags, and how they found the clinic. */
export function CareFields({ values, errors, tags, onChange }: Props) {
  const tagNames = [...new Set([...tags.map((t) => t.name), ...values.tags])];
  return (
    <>
      <FormSection title="Language and time" cols={2}>
        <Select
          label="Language"
          placeholder="Not recorded"
          data={languageOptions(values.language)}
          value={values.language || null}
          onChange={(value) => onChange({ language: value ?? '' })}
          searchable
          clearable
          nothingFoundMessage="Not in the list"
          error={errorAt(errors, 'language')}
        />
        <Select
          label="Time zone"
          placeholder="The clinic’s"
          data={timeZoneOptions(values.timeZone)}
          value={values.timeZone || null}
          onChange={(value) => onChange({ timeZone: value ?? '' })}
          searchable
          clearable
          limit={50}
          nothingFoundMessage="No such time zone"
          error={errorAt(errors, 'timeZone')}
        />
      </FormSection>
      <FormSection title="Care and acquisition" cols={3}>
        <Select
          label="Status"
          description="Lapsed is worked out from the last visit"
          data={STORED_LIFECYCLE_OPTIONS}
          value={values.lifecycleStatus}
          allowDeselect={false}
          onChange={(value) => value && onChange({ lifecycleStatus: value as StoredLifecycleStatus })}
          error={errorAt(errors, 'lifecycleStatus')}
        />
        <MultiSelect
          label="Tags"
          description={tags.length ? 'The clinic’s own labels' : 'The clinic has no tags yet'}
          placeholder={values.tags.length ? undefined : 'Pick tags'}
          data={tagNames}
          value={values.tags}
          onChange={(value) => onChange({ tags: value })}
          searchable
          clearable
          error={errorAt(errors, 'tags')}
          style={{ gridColumn: 'span 2' }}
        />
        <TextInput
          label="Source channel"
          placeholder="e.g. google, referral, walk-in"
          value={values.source.channel}
          onChange={(e) => onChange({ source: { ...values.source, channel: e.currentTarget.value } })}
          error={errorAt(errors, 'source.channel')}
        />
        <TextInput
          label="Campaign"
          value={values.source.campaign}
          onChange={(e) => onChange({ source: { ...values.source, campaign: e.currentTarget.value } })}
          error={errorAt(errors, 'source.campaign')}
        />
        <TextInput
          label="Referred by"
          value={values.source.referrer}
          onChange={(e) => onChange({ source: { ...values.source, referrer: e.currentTarget.value } })}
          error={errorAt(errors, 'source.referrer') ?? errorAt(errors, 'source')}
        />
      </FormSection>
    </>
  );
}
