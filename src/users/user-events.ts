/**
 * What the users module tells the rest of the service (through @nestjs/event-emitter, so that it
 * imports none of its listeners). Emitted with emitAsync and awaited: a listener's work is done,
 * or its error thrown, before the change is answered.
 */
export const USER_PROFILE_CHANGED = 'user.profile_changed';

export interface UserProfileChangedEvent {
  userId: string;
}
