import { Button } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconCalendarPlus } from '@tabler/icons-react';
import type { PatientRecord } from '../api/patients.ts';
import type { Appointment } from '../api/schedule.ts';
import { BookingModal } from '../schedule/BookingModal.tsx';

/** Books an appointment for this patient: find a free time, pick it, book. */
export function BookAppointmentButton({ patient, onBooked }: { patient: PatientRecord; onBooked: (appointments: Appointment[]) => void }) {
  const [opened, modal] = useDisclosure(false);
  return (
    <>
      <Button leftSection={<IconCalendarPlus size={16} aria-hidden />} onClick={modal.open}>
        Book appointment
      </Button>
      <BookingModal
        opened={opened}
        onClose={modal.close}
        patient={patient}
        onBooked={(appointments) => {
          modal.close();
          onBooked(appointments);
        }}
      />
    </>
  );
}
