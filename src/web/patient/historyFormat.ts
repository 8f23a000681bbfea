/** How the history tab names fields and shows their values. */

const FIELD_LABELS: Record<string, string> = {
  givenName: 'Given name',
  familyName: 'Family name',
  preferredName: 'Preferred name',
  birthDate: 'Date of birth',
  sex: 'Sex',
  genderIdentity: 'Gender identity',
  pronouns: 'Pronouns',
  mrn: 'MRN',
  identifiers: 'Identifiers',
  phones: 'Phones',
  phone: 'Phone',
  emails: 'Emails',
  email: 'Email',
  address: 'Address',
  addressLine: 'Street',
  city: 'City',
  region: 'State or region',
  postalCode: 'Postal code',
  country: 'Country',
  language: 'Language',
  timeZone: 'Time zone',
  preferredChannel: 'Preferred channel',
  quietHours: 'Quiet hours',
  tags: 'Tags',
  customFields: 'Clinic fields',
  lifecycleStatus: 'Status',
  source: 'Source',
  archived: 'Archived',
  mergedIntoId: 'Merged into',
};

export function fieldLabel(field: string): string {
  if (FIELD_LABELS[field]) return FIELD_LABELS[field];
  if (field.startsWith('customFields.')) return field.slice('customFields.'.length).replace(/_/g, ' ');
  // camelCase or snake_case to words, e.g. "source_channel" -> "Source channel".
  const words = field.replace(/[._]/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function isEmpty(value: unknown): boolean {
  return (
    value === null ||
    value === undefined ||
    value === '' ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && !Array.isArray(value) && Object.values(value as object).every(isEmpty))
  );
}

/** A value as a short line of text; null for "nothing" (shown as an em dash). */
export function formatValue(value: unknown): string | null {
  if (isEmpty(value)) return null;
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) {
    return value
      .map((item) => (typeof item === 'object' && item !== null && 'value' in item ? String((item as { value: unknown }).value) : formatValue(item)))
      .filter(Boolean)
      .join(', ');
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    if ('start' in record && 'end' in record) return `${String(record.start).slice(0, 5)}–${String(record.end).slice(0, 5)}`;
    return Object.entries(record)
      .filter(([, v]) => !isEmpty(v))
      .map(([k, v]) => `${fieldLabel(k)}: ${formatValue(v) ?? ''}`)
      .join('; ');
  }
  return JSON.stringify(value);
}
