"""Parsing the JQL subset the simulator understands: a tokenizer and a recursive descent.

    query   := [or] [ORDER BY sort ("," sort)*]
    or      := and (OR and)*
    and     := not (AND not)*
    not     := NOT not | "(" or ")" | clause
    clause  := field op value | field [NOT] IN list | field IS [NOT] EMPTY
    value   := word | "quoted" | function "(" ")"

Syntax errors read as Jira's, e.g. ``Error in the JQL Query: Expecting ')' before the end of the
query.`` (https://support.atlassian.com/jira-software-cloud/docs/what-is-advanced-search-in-jira-cloud/).
Evaluation lives in `jql_eval`.
"""

from __future__ import annotations

from dataclasses import dataclass

OPERATORS = ("!=", ">=", "<=", "!~", "=", ">", "<", "~")
_WORD_BREAK = set(" \t\r\n()=,!<>~\"'")
_VALID_OPS = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', "
    "'IS' and 'IS NOT'."
)


class JqlError(ValueError):
    """A query Jira would refuse; the message is Jira's."""


@dataclass(frozen=True)
class Token:
    kind: str  # word, string, op, (, ), ",", end
    text: str
    position: int  # 1-based character, as Jira reports it

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.casefold() in words


@dataclass(frozen=True)
class Value:
    text: str
    function: bool = False


@dataclass(frozen=True)
class Clause:
    field: str
    operator: str  # =, !=, >, >=, <, <=, ~, !~, in, not in, is, is not
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Not:
    part: Node


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


Node = Clause | Not | And | Or


@dataclass(frozen=True)
class Query:
    where: Node | None
    order: tuple[tuple[str, bool], ...]  # (field, descending)


def _error(message: str, token: Token | None = None) -> JqlError:
    where = f" (line 1, character {token.position})" if token is not None else ""
    return JqlError(f"Error in the JQL Query: {message}{where}")


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``end`` token.

    Raises:
        JqlError: an unterminated quoted string.
    """
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "(),":
            tokens.append(Token(char, char, i + 1))
            i += 1
        elif char in "\"'":
            i = _quoted(text, i, tokens)
        elif text.startswith(("&&", "||"), i):
            tokens.append(Token("word", "and" if char == "&" else "or", i + 1))
            i += 2
        else:
            i = _operator_or_word(text, i, tokens)
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _quoted(text: str, start: int, tokens: list[Token]) -> int:
    quote, i, chars = text[start], start + 1, []
    while i < len(text) and text[i] != quote:
        if text[i] == "\\" and i + 1 < len(text):
            i += 1
        chars.append(text[i])
        i += 1
    if i >= len(text):
        rest = text[start + 1 :]
        raise _error(
            f"The quoted string '{rest}' has not been completed.", Token("", "", start + 1)
        )
    tokens.append(Token("string", "".join(chars), start + 1))
    return i + 1


def _operator_or_word(text: str, start: int, tokens: list[Token]) -> int:
    operator = next((op for op in OPERATORS if text.startswith(op, start)), None)
    if operator is not None:
        tokens.append(Token("op", operator, start + 1))
        return start + len(operator)
    if text[start] == "!":
        tokens.append(Token("word", "not", start + 1))
        return start + 1
    end = start
    while end < len(text) and text[end] not in _WORD_BREAK:
        end += 1
    tokens.append(Token("word", text[start:end], start + 1))
    return end


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.at = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def take(self) -> Token:
        token = self.tokens[self.at]
        self.at = min(self.at + 1, len(self.tokens) - 1)
        return token

    def query(self) -> Query:
        where = None
        if not self.token.is_word("order") and self.token.kind != "end":
            where = self.or_()
        order = self.order_by() if self.token.is_word("order") else ()
        if self.token.kind != "end":
            raise _error(f"Expecting either 'OR' or 'AND' but got '{self.token.text}'.", self.token)
        return Query(where, order)

    def or_(self) -> Node:
        parts = [self.and_()]
        while self.token.is_word("or"):
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_(self) -> Node:
        parts = [self.not_()]
        while self.token.is_word("and"):
            self.take()
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def not_(self) -> Node:
        if self.token.is_word("not"):
            self.take()
            return Not(self.not_())
        if self.token.kind == "(":
            self.take()
            inner = self.or_()
            self.expect(")")
            return inner
        return self.clause()

    def expect(self, kind: str) -> None:
        if self.token.kind == kind:
            self.take()
        elif self.token.kind == "end":
            raise _error(f"Expecting '{kind}' before the end of the query.")
        else:
            raise _error(f"Expecting '{kind}' but got '{self.token.text}'.", self.token)

    def clause(self) -> Clause:
        field = self.take()
        if field.kind not in ("word", "string") or field.is_word("and", "or", "order", "in", "is"):
            got = field.text or "the end of the query"
            raise _error(f"Expecting a field name but got '{got}'.", field)
        operator = self.operator()
        if operator in ("is", "is not"):
            return Clause(field.text, operator, (self.empty(),))
        if operator in ("in", "not in"):
            return Clause(field.text, operator, self.values())
        return Clause(field.text, operator, (self.value(),))

    def operator(self) -> str:
        token = self.take()
        if token.kind == "op":
            return token.text
        if token.is_word("in"):
            return "in"
        if token.is_word("not") and self.token.is_word("in"):
            self.take()
            return "not in"
        if token.is_word("is"):
            if self.token.is_word("not"):
                self.take()
                return "is not"
            return "is"
        got = token.text or "the end of the query"
        raise _error(f"Expecting operator but got '{got}'. {_VALID_OPS}", token)

    def empty(self) -> Value:
        token = self.take()
        if not token.is_word("empty", "null"):
            raise _error(f"Expecting 'EMPTY' but got '{token.text}'.", token)
        return Value("empty", function=True)

    def values(self) -> tuple[Value, ...]:
        self.expect("(")
        found = [self.value()]
        while self.token.kind == ",":
            self.take()
            found.append(self.value())
        self.expect(")")
        return tuple(found)

    def value(self) -> Value:
        token = self.take()
        if token.kind == "string":
            return Value(token.text)
        if token.kind == "word" and not token.is_word("and", "or", "order"):
            if self.token.kind == "(":
                self.take()
                self.expect(")")
                return Value(token.text.casefold(), function=True)
            if token.is_word("empty", "null"):
                return Value("empty", function=True)
            return Value(token.text)
        if token.kind == "end":
            raise _error("Expecting either a value, list or function before the end of the query.")
        raise _error(
            f"Expecting either a value, list or function but got '{token.text}'. You must "
            f"surround '{token.text}' in quotation marks to use it as a value.",
            token,
        )

    def order_by(self) -> tuple[tuple[str, bool], ...]:
        self.take()
        if not self.token.is_word("by"):
            raise _error(f"Expecting 'by' but got '{self.token.text}'.", self.token)
        self.take()
        order = [self.sort()]
        while self.token.kind == ",":
            self.take()
            order.append(self.sort())
        return tuple(order)

    def sort(self) -> tuple[str, bool]:
        field = self.take()
        if field.kind not in ("word", "string"):
            raise _error(f"Expecting a field name but got '{field.text}'.", field)
        descending = False
        if self.token.is_word("asc", "desc"):
            descending = self.take().is_word("desc")
        return field.text, descending


def parse(text: str) -> Query:
    """Parse a JQL query.

    Raises:
        JqlError: a syntax error, worded as Jira words it.
    """
    return _Parser(text).query()
