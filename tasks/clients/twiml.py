"""What the phone says: TwiML for a person, a machine, and each keypad choice; and for the
recruiter's live call, the whisper, the conference both legs join, and the prompt when her
voicemail answers.

Pure. Used by ``tasks/phone.py`` and ``tasks/bridge.py`` when they place or steer a call, and by
``web/`` when she or the recruiter presses a key.
Twilio caps inline TwiML at 4,000 characters; a longer script is a round-file problem.
"""

from __future__ import annotations

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from config.errors import ConfigError

MAX_INLINE = 4000
VOICE = "Polly.Joanna"


def _checked(response: VoiceResponse) -> str:
    xml = str(response)
    if len(xml) > MAX_INLINE:
        raise ConfigError(f"the call script is {len(xml)} characters of TwiML; Twilio accepts {MAX_INLINE}")
    return xml


def _one_key(prompt: str, *, action: str, timeout: int, otherwise: str) -> str:
    """Say ``prompt`` while listening for one key (posted to ``action``); no key: ``otherwise``, goodbye."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=action, method="POST", timeout=timeout)
    gather.say(prompt, voice=VOICE)
    response.append(gather)
    response.say(otherwise, voice=VOICE)
    response.hangup()
    return _checked(response)


def invitation(script: str, *, keypad_url: str) -> str:
    """A person hears the invitation and the menu; a missed choice ends politely."""
    otherwise = "We did not hear a choice. We will send you the details by email. Goodbye."
    return _one_key(script, action=keypad_url, timeout=8, otherwise=otherwise)


def voicemail(message: str) -> str:
    """Played after the beep: the greeting is over when answering-machine detection returns."""
    return goodbye(message)


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


def whisper(text: str, *, action: str) -> str:
    """The recruiter's ring: whom we are about to call; 1 connects, anything else is a miss."""
    return _one_key(text, action=action, timeout=10, otherwise="No key pressed. We will ring you again later. Goodbye.")


def join(conference: str, *, say: str = "", record: bool = False, ends_call: bool = False) -> str:
    """One leg of the live call joins its conference (named by the call's business key).

    Her leg ends the conference when she hangs up (``ends_call``); the recruiter's does not, so
    the recruiter can step out to answer the voicemail prompt while her machine stays on the line."""
    response = VoiceResponse()
    if say:
        response.say(say, voice=VOICE)
    dial = Dial()
    dial.conference(
        conference,
        start_conference_on_enter=True,
        end_conference_on_exit=ends_call,
        beep=False,
        wait_url="",
        record="record-from-start" if record else "do-not-record",
    )
    response.append(dial)
    response.hangup()
    return _checked(response)


def machine_prompt(*, action: str, recording: bool) -> str:
    """Her voicemail answered: the recruiter leaves a message of their own, or plays ours."""
    offer = "Press 1 to leave your own message"
    offer += ", or 2 to play the recorded invitation and hang up." if recording else "."
    prompt = f"Her voicemail has answered. {offer}"
    return _one_key(prompt, action=action, timeout=10, otherwise="No key pressed. We will email her. Goodbye.")


def goodbye(text: str) -> str:
    """Say ``text`` and hang up: how a call ended, or a message for her machine."""
    response = VoiceResponse()
    response.say(text, voice=VOICE)
    response.hangup()
    return _checked(response)
