"""Filing a confirmed intake as a ticket, and what the customer is told.

`IntakeFiler.file` writes one ticket in one unit of work. The reply shows the
reference and the verification code (shown only here, stored only as a hash),
then the next steps for this kind of request and this requester, built from
the policy: which documents (5.(2)), how to present them, the fee (5.(3)),
the answer 遅滞なく (5.(4)), and the contact point (11).
"""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from bot.cases.db import CaseStore
from bot.cases.models import Ticket
from bot.cases.tickets import InvalidRequest, NewRequest, open_request, reissue_code
from bot.policy.answers import Answer, Answerer


class IntakeFiler:
    """Files confirmed requests in the case database and words the replies.
    `wording`: data/policy/intake.yml (bot.intake.form.load_intake_wording)."""

    def __init__(self, store: CaseStore, answerer: Answerer, wording: Mapping[str, Any]) -> None:
        """`store`: the case database; `answerer`: the policy's (facts, contact
        block, citations). Nothing is read or written until `file`."""
        self.store = store
        self.answerer = answerer
        self.wording = wording

    def file(self, request: NewRequest) -> tuple[Answer, bool]:
        """File the request; returns the reply and whether it was recorded.

        A database failure records nothing (the unit of work rolls back) and
        the reply gives the phone number and e-mail of the contact point.
        A request filed before under the same submission key (the customer
        confirms again because the receipt never reached them) gets a new code,
        so that every ticket has a code its customer has seen.
        """
        try:
            with self.store.unit_of_work() as session:
                filed = open_request(session, request)
                reference = filed.ticket.reference
                code = filed.code or reissue_code(session, filed.ticket)
        except (SQLAlchemyError, InvalidRequest):
            # InvalidRequest would be a bug of the form; the customer still
            # gets the contact point and keeps the answers.
            return self.not_recorded(), False
        key = "filed" if filed.code else "refiled"
        text = self.wording[key].format(reference=reference, code=code)
        return Answer("filed", "\n".join([text, self.next_steps(request)]), ("5.(2)", "5.(4)", "11")), True

    def reissue(self, submission_key: str) -> Answer:
        """The confirmation repeated after the request was filed (the receipt may
        never have arrived): the same reference with a new code; the old code
        stops working. Nothing filed under the key (never expected) or a database
        failure: the contact point."""
        try:
            with self.store.unit_of_work() as session:
                ticket = session.scalars(select(Ticket).where(Ticket.submission_key == submission_key)).one_or_none()
                if ticket is None:
                    return self.not_recorded()
                reference, code = ticket.reference, reissue_code(session, ticket)
        except SQLAlchemyError:
            return self.not_recorded()
        return Answer("filed", self.wording["refiled"].format(reference=reference, code=code), ("11",))

    def not_recorded(self) -> Answer:
        """The reply when nothing could be recorded: the contact point of clause 11."""
        contact = self.answerer.policy.fact("11", "contact")
        return Answer("not_recorded", self.wording["not_recorded"]["text"].format(**contact), ("11",))

    def next_steps(self, request: NewRequest) -> str:
        """What happens next for this kind and requester, one line each: the form,
        the documents (the requester's own or the proxy's, 5.(2)), counter or post,
        the fee for the kinds it applies to (5.(3)), the answer (5.(4)), the
        contact point, and the citation of those clauses."""
        policy = self.answerer.policy
        steps = self.wording["next_steps"]
        documents = policy["5.(2)"].children
        proxy = documents[-1].facts
        accepted = "、".join(f"{node.number}{node.text}" for node in documents[:-1])
        lines = [self.wording["next_steps_title"], steps["form"]]
        if request.requester == "任意代理人":
            lines.append(steps["documents_proxy"].format(proxy=proxy["proxy"]))
        elif request.requester == "法定代理人":
            lines.append(steps["documents_legal"].format(legal=proxy["legal_representative"]))
        else:
            lines.append(steps["documents_self"].format(documents=accepted))
        lines.append(steps["at_counter"] if request.id_presentation == "窓口で提示" else steps["by_post"])
        cited = ["5.(1)", "5.(2)"]
        if request.kind in policy.fact("5.(3)", "fee_applies_to"):
            fee = self.answerer.settings.disclosure_fee
            amount = self.answerer.topics["ask_fee"]["amount_configured"].format(fee=fee) if fee \
                else self.wording["fee_amount_not_stated"]
            lines.append(steps["fee"].format(kind=request.kind, amount=amount))
            cited.append("5.(3)")
        lines.append(steps["result"])
        cited.append("5.(4)")
        lines.append(self.answerer.contact_block())
        lines.append(self.answerer.citation([*cited, "11"]))
        return "\n".join(lines)
