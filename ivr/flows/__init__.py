"""Call flows as data: loading and validating ``flows/`` and the node types."""

from ivr.flows.loader import FlowBundle, load_flows
from ivr.flows.yamlfile import FlowFileError

__all__ = ["FlowBundle", "FlowFileError", "load_flows"]
