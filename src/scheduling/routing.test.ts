import { describe, expect, it } from 'vitest';

import type { Pending } from './agent-state';
import { type Route, routeMessage } from './routing';

const NY = { now: new Date('2026-11-24T12:00:00Z'), timeZone: 'America/New_York' };

const details: Pending = { kind: 'details' };
const offer: Pending = {
  kind: 'alternatives',
  alternatives: [
    { start: '2026-11-25T20:30:00.000Z', end: '2026-11-25T21:00:00.000Z' },
    { start: '2026-11-25T21:00:00.000Z', end: '2026-11-25T21:30:00.000Z' },
  ],
};
const cancelChoice: Pending = {
  kind: 'cancel-choice',
  candidates: [
    { eventId: 'a', title: 'Meeting with Dana', start: '2026-11-25T20:00:00.000Z', end: '2026-11-25T20:30:00.000Z' },
    { eventId: 'b', title: 'Meeting with Dana', start: '2026-11-25T22:00:00.000Z', end: '2026-11-25T22:30:00.000Z' },
  ],
};
const confirm: Pending = { kind: 'confirm', action: 'book-series' };
const scope: Pending = {
  kind: 'scope',
  candidate: { eventId: 's', title: 'Standup', start: '2026-11-30T14:00:00.000Z', end: '2026-11-30T14:15:00.000Z' },
};

const cases: Array<[Pending | undefined, string, Route, string]> = [
  // The list: a waiting question must not capture these.
  [details, "what's on my calendar this week?", 'new-request', 'an agenda question is its own request'],
  [details, 'never mind', 'exit', 'a way out'],
  [details, 'set something up', 'new-request', 'a new booking request'],
  [details, 'cancel my meeting with Dana', 'new-request', 'a cancel of another meeting'],
  [offer, "what's on my calendar this week?", 'new-request', 'agenda while an offer waits'],
  [offer, 'never mind', 'exit', 'way out of an offer'],
  [offer, 'set something up', 'new-request', 'new booking while an offer waits'],
  [offer, 'cancel my meeting with Dana', 'new-request', 'cancel while an offer waits'],
  [cancelChoice, 'never mind', 'exit', 'way out of a cancel choice'],
  [cancelChoice, "what's on my calendar this week?", 'new-request', 'agenda while a cancel choice waits'],
  [details, 'move my meeting with the design team to 2pm', 'new-request', 'a move is its own request'],
  // Ways out
  [details, 'cancel that', 'exit', '"cancel that" closes the question'],
  [details, 'stop', 'exit', '"stop"'],
  [offer, 'forget it', 'exit', '"forget it"'],
  [offer, 'nvm', 'exit', '"nvm"'],
  [confirm, 'Never mind.', 'exit', 'punctuation and case'],
  [scope, 'scratch that', 'exit', '"scratch that"'],
  // Answers
  [details, 'tomorrow at 4pm', 'answer', 'a day and time'],
  [details, 'Friday', 'answer', 'a day'],
  [details, '10', 'answer', 'a bare hour'],
  [details, 'at 2pm with Lee', 'answer', 'a time with an attendee'],
  [details, '3pm', 'answer', 'am/pm answer'],
  [offer, 'the first one', 'answer', 'an ordinal'],
  [offer, '2', 'answer', 'a number'],
  [offer, 'option 1', 'answer', 'the value of a choice button'],
  [offer, '3:30 works', 'answer', 'a time among the offered'],
  [offer, 'Friday at 10', 'answer', 'another time proposed'],
  [offer, 'none of them work', 'answer', 'a refusal answers the offer'],
  [cancelChoice, 'the second one', 'answer', 'an ordinal'],
  [cancelChoice, 'the 5pm one', 'answer', 'by time'],
  [confirm, 'yes', 'answer', 'yes'],
  [confirm, 'nope', 'answer', 'no'],
  [confirm, 'sure, go ahead', 'answer', 'yes in words'],
  [scope, 'only this one', 'answer', 'one occurrence'],
  [scope, 'the whole series', 'answer', 'the series'],
  // New requests that carry their own intent
  [details, 'book lunch with Priya tomorrow at noon', 'new-request', 'a full booking'],
  [offer, 'lunch with Priya tomorrow at 12:30', 'new-request', 'a booking without a verb but with a title and attendee'],
  [confirm, 'am I free Friday at 3?', 'new-request', 'an availability question'],
  [scope, 'push the standup 30 minutes later', 'new-request', 'a shift'],
  // Unclear: a short question, never a silent capture
  [details, 'hmm', 'unclear', 'nothing usable'],
  [offer, 'sounds good', 'unclear', 'no choice in it'],
  [confirm, 'maybe', 'unclear', 'neither yes nor no'],
  [scope, 'hmm', 'unclear', 'neither scope'],
  [details, 'yes', 'unclear', 'yes is no answer to "when?"'],
  // Nothing pending
  [undefined, 'tomorrow at 4pm', 'new-request', 'without a question everything is a request'],
  [undefined, 'never mind', 'exit', 'a way out with nothing to leave'],
];

describe('routeMessage', () => {
  for (const [pending, text, expected, why] of cases) {
    it(`[${pending?.kind ?? 'nothing pending'}] "${text}" -> ${expected} (${why})`, () => {
      expect(routeMessage(text, pending, NY)).toBe(expected);
    });
  }
});
