"""What the phone says: TwiML for a person, a machine, and each keypad choice.

Pure. Used by ``tasks/phone.py`` when it places a call and by ``web/`` when she presses a key.
Twilio caps inline TwiML at 4,000 characters; a longer script is a round-file problem.
"""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

from config.errors import ConfigError

MAX_INLINE = 4000
VOICE = "Polly.Joanna"


def _checked(response: VoiceResponse) -> str:
    xml = str(response)
    if len(xml) > MAX_INLINE:
        raise ConfigError(f"the call script is {len(xml)} characters of TwiML; Twilio accepts {MAX_INLINE}")
    return xml


def invitation(script: str, *, keypad_url: str) -> str:
    """A person hears the invitation and the menu; a missed choice ends politely."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=keypad_url, method="POST", timeout=8)
    gather.say(script, voice=VOICE)
    response.append(gather)
    response.say("We did not hear a choice. We will send you the details by email. Goodbye.", voice=VOICE)
    response.hangup()
    return _checked(response)


def voicemail(message: str) -> str:
    """Played after the beep: the greeting is over when answering-machine detection returns."""
    response = VoiceResponse()
    response.say(message, voice=VOICE)
    response.hangup()
    return _checked(response)


def keypad_answer(digits: str, *, recruiter_name: str, recruiter_phone: str | None, caller_id: str) -> str:
    """What she hears after pressing a key: 1 confirms, 2 declines, 0 puts her through."""
    response = VoiceResponse()
    if digits == "1":
        response.say("Thank you, your place is confirmed. We will email you all the details.", voice=VOICE)
    elif digits == "2":
        response.say("Thank you for letting us know. We will let the team know. Goodbye.", voice=VOICE)
    elif digits == "0" and recruiter_phone:
        response.say(f"Putting you through to {recruiter_name}.", voice=VOICE)
        response.dial(recruiter_phone, caller_id=caller_id, timeout=30)
    else:
        response.say("We will send you the details by email, where you can reply. Goodbye.", voice=VOICE)
    response.hangup()
    return str(response)
