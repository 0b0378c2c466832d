"""The registry of procedures, named ``Namespace::Procedure`` as the seeds name them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from portal.engine.schema import Arg, Schema
from portal.engine.security import Security
from portal.errors import InvalidArgument, NotFound


@dataclass(frozen=True)
class Procedure:
    """A registered state change or read: its name, input schema, security rule and steps.

    ``private`` procedures (the seeds' trailing ``_``, such as ``CreateCustomerRecord_``) run only
    when another procedure calls them, never straight from a door. ``reads`` procedures change
    nothing (they are left out of "last changes", and a batch of reads only opens no database
    transaction: ``portal/engine/core.py``).
    """

    namespace: str
    name: str
    fn: Callable[..., dict | None]
    schema: Schema
    security: Security
    private: bool = False
    description: str = ""
    reads: bool = False

    @property
    def full_name(self) -> str:
        """``Namespace::Procedure``."""
        return f"{self.namespace}::{self.name}"

    def describe(self) -> dict:
        """The procedure as ``GET /api/procedures/`` lists it."""
        return {
            "namespace": self.namespace,
            "procedure": self.name,
            "description": self.description,
            "security": self.security.description
            or (" or ".join(self.security.roles) if self.security.roles else "any authenticated caller"),
            "input": self.schema.describe(),
            "oneOf": [list(names) for names, _ in self.schema.one_of],
        }


_registry: dict[str, Procedure] = {}
# what is derived from the whole registry, kept until a procedure is registered or replaced
_derived: dict[str, object] = {}


def split_name(full_name: str) -> tuple[str, str]:
    """``("Namespace", "Procedure")`` of ``Namespace::Procedure``."""
    namespace, sep, name = full_name.partition("::")
    if not sep or not namespace.strip() or not name.strip():
        raise InvalidArgument(f"'{full_name}' is not a procedure name of the form Namespace::Procedure.")
    return namespace.strip(), name.strip()


def procedure(
    full_name: str,
    *,
    args: tuple[Arg, ...] | list[Arg] = (),
    one_of: tuple[tuple[tuple[str, ...], str], ...] = (),
    security: Security | None = None,
    private: bool = False,
    description: str = "",
    reads: bool | None = None,
) -> Callable[[Callable[..., dict | None]], Callable[..., dict | None]]:
    """Register the decorated function as procedure ``full_name``.

    The function takes the call context first and then its arguments as keyword-only
    parameters named as in the seed; it returns the output ``executeData`` mapping (None mirrors
    the input).
    """
    namespace, name = split_name(full_name)

    def register(fn: Callable[..., dict | None]) -> Callable[..., dict | None]:
        key = f"{namespace}::{name}".lower()
        if key in _registry and _registry[key].fn is not fn:
            raise ValueError(f"procedure {full_name} is registered twice")
        _registry[key] = Procedure(
            namespace=namespace,
            name=name,
            fn=fn,
            schema=Schema(args=tuple(args), one_of=one_of),
            security=security or Security(),
            private=private,
            description=description or (fn.__doc__ or "").strip().split("\n\n")[0],
            # The seeds name their reads Get...; a procedure may say otherwise.
            reads=name.startswith("Get") if reads is None else reads,
        )
        _derived.clear()
        return fn

    return register


def lookup(namespace: str, name: str) -> Procedure:
    """The procedure registered under ``namespace::name`` (letter case ignored)."""
    found = _registry.get(f"{namespace.strip()}::{name.strip()}".lower())
    if found is None:
        raise NotFound(f"The procedure {namespace}::{name} does not exist.")
    return found


def replace(proc: Procedure) -> Procedure:
    """Put ``proc`` in place of the procedure registered under its name; answers the one it
    replaced, to be put back the same way (how a test injects a fault into one step)."""
    key = proc.full_name.lower()
    replaced = lookup(proc.namespace, proc.name)
    _registry[key] = proc
    _derived.clear()
    return replaced


def all_procedures() -> list[Procedure]:
    """Every registered procedure, by name."""
    return sorted(_registry.values(), key=lambda proc: proc.full_name.lower())


def secret_names() -> frozenset[str]:
    """Names of the arguments some procedure declares secret (a door never echoes them)."""
    found = _derived.get("secret_names")
    if found is None:
        found = _derived["secret_names"] = frozenset(
            arg.name for proc in _registry.values() for arg in proc.schema.args if arg.secret
        )
    return found
