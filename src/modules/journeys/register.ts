import { onAppointmentEvent, type AppointmentListener } from '../scheduling/booking.ts';
import { onWaitlistOffer, type OfferListener } from '../waitlist/release.ts';
import { fireTrigger, onAppointmentChange } from './engine.ts';

const appointmentListener: AppointmentListener = (scope, event, now) => onAppointmentChange(scope, event, now);

const offerListener: OfferListener = async (scope, offer, now) => {
  await fireTrigger(
    scope,
    { type: 'waitlist.offer', patientId: offer.patientId, subject: { type: 'waitlist_offer', id: offer.offerId }, occurrence: offer.offerId, at: now },
    now,
  );
};

/**
 * Hooks journeys onto the events that trigger them, inside the transactions that make those
 * events (a booking and its reminders commit or roll back together). Safe to call repeatedly.
 */
export function registerJourneys(): void {
  onAppointmentEvent(appointmentListener);
  onWaitlistOffer(offerListener);
}
