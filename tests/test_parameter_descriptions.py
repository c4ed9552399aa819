"""Every parameter of every installed component says what it is in `morphospace info`."""

from morphospace.core import registry


def test_every_parameter_of_every_component_has_a_description():
    missing = [
        f"{info.name}: {name}"
        for info in registry.list()
        for name, _, _, description in registry.config_class(info.name).fields_table()
        if not description.strip()
    ]
    assert not missing, "parameters without a description:\n" + "\n".join(missing)
