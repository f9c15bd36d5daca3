/** Twilio's longest message body; a longer text is cut here rather than refused by Twilio. */
export const MAX_SMS_LENGTH = 1600;
