using Ledger.Fraud;

namespace Ledger.Messaging.Tests.Consumers.Fraud;

/// <summary>
/// The settings of the freezes (ADR-025): a rule that freezes needs the API's address and a token, each missing one is named,
/// and what is set is checked even when no rule freezes.
/// </summary>
public sealed class FraudActionsOptionsTests
{
    [Fact]
    public void Defaults_FreezeNothing_AndNeedNoActions()
    {
        var options = new FraudOptions();

        options.FreezesAny.Should().BeFalse();
        options.Problems().Should().BeEmpty();
    }

    [Fact]
    public void RuleThatFreezes_WithoutApiUrlOrToken_NamesBothSettingsAndTheSwitch()
    {
        var options = new FraudOptions();
        options.LargeDebit.FreezeAccount = true;

        options.Problems().Should().Equal(
            "Fraud:LargeDebit:FreezeAccount is on, so set Fraud:Actions:ApiUrl: the base address of the ledger API that the freezes go to " +
            "(e.g. http://api:8080).",
            "Fraud:LargeDebit:FreezeAccount is on, so set Fraud:Actions:Token or Fraud:Actions:TokenFile: a bearer token of a service " +
            "identity with the role 'fraud' (docs/security.md), or the file an identity provider keeps it in.");
    }

    [Fact]
    public void TwoRulesThatFreeze_AreBothNamed()
    {
        var options = new FraudOptions();
        options.Velocity.FreezeAccount = true;
        options.DepositDrain.FreezeAccount = true;
        options.Actions.Token = "a token";

        options.Problems().Should().ContainSingle().Which.Should()
            .StartWith("Fraud:Velocity:FreezeAccount, Fraud:DepositDrain:FreezeAccount are on, so set Fraud:Actions:ApiUrl");
    }

    [Fact]
    public void DisabledRule_DoesNotFreeze()
    {
        var options = new FraudOptions();
        options.LargeDebit.FreezeAccount = true;
        options.LargeDebit.Enabled = false;

        options.FreezesAny.Should().BeFalse();
        options.Freezes(FraudRules.LargeDebit).Should().BeFalse();
        options.Problems().Should().BeEmpty();
    }

    [Fact]
    public void ActionsComplete_OnlyTheRulesWithTheSwitchFreeze()
    {
        var options = new FraudOptions();
        options.LargeDebit.FreezeAccount = true;
        options.Actions.ApiUrl = "https://ledger.internal:8443/";
        options.Actions.Token = "a token";

        options.Problems().Should().BeEmpty();
        options.Freezes(FraudRules.LargeDebit).Should().BeTrue();
        options.Freezes(FraudRules.Velocity).Should().BeFalse();
        options.Freezes(FraudRules.DepositDrain).Should().BeFalse();
    }

    [Theory]
    [InlineData("api:8080")]
    [InlineData("/api")]
    [InlineData("ftp://api/")]
    [InlineData("http://api:8080/?x=1")]
    public void ApiUrlThatIsNoHttpBaseAddress_IsRefused_EvenWhenNoRuleFreezes(string url)
    {
        var options = new FraudOptions();
        options.Actions.ApiUrl = url;

        options.Problems().Should().Equal(
            $"Fraud:Actions:ApiUrl must be an absolute http or https URL without query, like http://api:8080; it is '{url}'.");
    }

    [Fact]
    public void TokenAndTokenFile_AreNotBothSet()
    {
        var options = new FraudOptions();
        options.Actions.Token = "a token";
        options.Actions.TokenFile = "/run/secrets/fraud-token";

        options.Problems().Should().Equal("Set one of Fraud:Actions:Token and Fraud:Actions:TokenFile, not both.");
    }

    [Fact]
    public void TokenFileThatDoesNotExist_IsNamed()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-token-{Guid.NewGuid():N}");
        var options = new FraudOptions();
        options.Actions.TokenFile = missing;

        options.Problems().Should().Equal($"Fraud:Actions:TokenFile '{missing}' does not exist.");
    }

    [Theory]
    [InlineData("SweepInterval", "00:00:00")]
    [InlineData("SweepInterval", "01:00:01")]
    [InlineData("RetryBackoffMax", "00:00:00.500")]
    public void IntervalOutOfBounds_IsRefused(string setting, string value)
    {
        var options = new FraudOptions();
        var interval = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        if (setting == "SweepInterval")
        {
            options.Actions.SweepInterval = interval;
        }
        else
        {
            options.Actions.RetryBackoffMax = interval;
        }

        options.Problems().Should().Equal($"Fraud:Actions:{setting} must be from 00:00:01 to 01:00:00.");
    }
}
