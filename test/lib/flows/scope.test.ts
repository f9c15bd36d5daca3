import { describe, expect, it } from 'vitest';
import { templateScope, triggerFields } from '../../../lib/flows/scope';
import { render } from '../../../lib/flows/template';
import { emptyFlowState } from '../../../lib/records/flowState';
import { settings } from './actions/support';

describe('scope: what a template reads', () => {
  it('takes the first value of each field, and fills from what the record knows only what the request lacks', () => {
    expect(
      triggerFields(
        { Digits: ['1', '2'], From: '+15550100199', Empty: [] },
        { From: '+1999', To: '+15005550006', Gone: undefined },
      ),
    ).toEqual({ Digits: '1', From: '+15550100199', To: '+15005550006' });
  });

  it('puts the request under its channel, the call’s variables and widgets, and only two settings', () => {
    const state = emptyFlowState();
    state.variables.pin = '1234';
    state.widgets.crm = { status: 200 };
    const scope = templateScope('message', { Body: 'hi' }, settings, state);
    expect(render('{{ trigger.message.Body }} {{ flow.variables.pin }} {{ widgets.crm.status }}', scope)).toBe(
      'hi 1234 200',
    );
    expect(render('[{{ trigger.call.Body }}]', scope)).toBe('[]');
    expect(Object.keys(scope.settings)).toEqual(['VOICE_GREETING', 'SMS_REPLY']);
    expect(render('[{{ settings.TWILIO_AUTH_TOKEN }}]', scope)).toBe('[]');
  });

  it('reads the state itself: a change made during the request is seen by the next template', () => {
    const state = emptyFlowState();
    const scope = templateScope('call', {}, settings, state);
    state.variables.later = 'set after';
    expect(render('{{ flow.variables.later }}', scope)).toBe('set after');
  });
});
