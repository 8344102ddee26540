from django import template

from seei.ocds import packages

register = template.Library()


@register.inclusion_tag("ocds/downloads.html")
def ocds_downloads():
    """The OCDS downloads of every year that has releases, newest first, for the public statistics page."""
    return {
        "years": [
            {
                "year": year,
                "releases": packages.api_url("releases", query=f"?year={year}"),
                "compiled": packages.api_url("bulk_compiled", year),
                "zip": packages.api_url("bulk_packages", year),
            }
            for year in reversed(packages.years())
        ],
        "extension": packages.api_url("extension_readme"),
    }
