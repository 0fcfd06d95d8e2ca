from django import template

register = template.Library()


@register.inclusion_tag("courses/_partner_link.html")
def partner_link(offer, text, css_class=""):
    """The one way a partner link is rendered: through the tracked redirect, marked sponsored, labelled,
    and pointing to the disclosure page.
    """
    return {"offer": offer, "text": text, "css_class": css_class}
