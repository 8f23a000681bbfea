import { Stack } from '@mantine/core';
import { Invoices } from '../journeys/care/Invoices.tsx';
import { MedicationReminders } from '../journeys/care/MedicationReminders.tsx';
import { PatientRuns } from '../journeys/care/PatientRuns.tsx';

/** Care and billing for one patient: medication reminders, invoices, and the journeys they are in. */
export function PatientCareTab({ patientId }: { patientId: string }) {
  return (
    <Stack gap="md">
      <MedicationReminders patientId={patientId} />
      <Invoices patientId={patientId} />
      <PatientRuns patientId={patientId} />
    </Stack>
  );
}
